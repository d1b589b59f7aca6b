"""Programs written to break the local sandbox, one class of attack per test, each bounded (seconds, well under
1 GiB). What a user relies on: no program makes a reward call raise or loses the other rows, a program's leftovers
never lead the caller out of its work dir, and every bound holds per run.

Each test here failed on the sandbox before these layers (issue 23): the row raised or was lost, or the bound did
not hold.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests
from conftest import REPO_ROOT, entry_point_env
from test_sandbox import LIMITS, MODES, assert_no_leftovers, leftover_processes

from open_r1.rewards import code_reward
from open_r1.utils.code_execution.evaluation_script import code_evaluation_script
from open_r1.utils.code_execution.sandbox import Sandbox, SandboxLimits, detect_isolation, runner


pytestmark = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="the sandbox's isolation is Linux's")

INFO = {"language": "python", "test_cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12"}]}
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"

# ---------------------------------------------------------------------------------------- the hostile programs
DEEP_CHAIN = """
import os
for _ in range(3000):  # the host's recursive cleanup hit RecursionError at about 1,000
    os.mkdir('d' * 100)
    os.chdir('d' * 100)
"""
LEAVES_LINKS_AND_A_FIFO = """
import os
os.symlink({victim!r}, 'input.txt')  # a file the caller writes next
os.symlink({victim_dir!r}, 'dir')
os.mkfifo('out')  # a file the caller reads next: open() on a FIFO blocks until someone writes
os.mkdir('locked'); open('locked/x', 'w').close(); os.chmod('locked', 0)
print('left')
"""
FILLS = """
import os, sys
where, size, most = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
count = 0
try:
    for count in range(1, most + 1):
        with open(os.path.join(where, f'f{count}'), 'wb') as f:
            f.write(b'x' * size)
except OSError as error:
    count -= 1
    print('stopped:', error.strerror, file=sys.stderr)
print(count)
"""
OWN_CMDLINE = "print(open('/proc/1/cmdline').read()); print(open('/proc/self/cmdline').read())"


def answer(code: str) -> str:
    return f"<think>\nok\n</think>\n<answer>\n```python\n{code}\n```\n</answer>"


@pytest.fixture(params=MODES)
def sandbox(request) -> Sandbox:
    return Sandbox(LIMITS, isolation=request.param)


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """Every test: no work dir, no cgroup, no process and no incident (a leftover the sandbox noticed) after it."""
    before = dict(runner.incidents)
    dirs = set(_work_dirs())
    mounts = open("/proc/self/mounts").read().count("open-r1-sandbox-")
    yield
    assert dict(runner.incidents) == before
    assert set(_work_dirs()) <= dirs
    assert open("/proc/self/mounts").read().count("open-r1-sandbox-") == mounts
    assert _run_cgroups() == []
    assert_no_leftovers()


def _work_dirs() -> list[str]:
    return [name for name in os.listdir(tempfile.gettempdir()) if name.startswith("open-r1-sandbox-")]


def _run_cgroups() -> list[str]:
    from open_r1.utils.code_execution.sandbox import cgroups

    support = cgroups.detect_cached()
    found = []
    for _, parent in support.parents if support else ():
        found += [name for name in os.listdir(parent) if name.startswith(f"open-r1-sandbox-{os.getpid()}-")]
    return found


# ---------------------------------------------------------------------------------------- cleanup
def test_a_directory_chain_thousands_deep_is_cleaned_up(sandbox):
    result = sandbox.run(["python3", "-c", DEEP_CHAIN + "print('deep')"])
    assert result.ok and result.stdout == "deep\n", result


def test_the_code_reward_judges_a_row_that_left_a_deep_chain_and_the_others():
    rows = [answer(DEEP_CHAIN + SUM), answer(SUM), answer("print(3)")]
    assert code_reward(rows, verification_info=[INFO] * 3, provider_type="local", timeout_s=5.0) == [1.0, 1.0, 0.5]


def test_links_and_fifos_a_program_leaves_never_lead_the_caller_out(sandbox, tmp_path):
    victim, victim_dir = tmp_path / "victim.txt", tmp_path / "victim_dir"
    victim.write_text("intact")
    victim_dir.mkdir()
    program = LEAVES_LINKS_AND_A_FIFO.format(victim=str(victim), victim_dir=str(victim_dir))
    with sandbox.session() as session:
        assert session.run(["python3", "-c", program]).stdout == "left\n"
        with pytest.raises(OSError):
            session.write_file("input.txt", "the caller's next input")  # through the link: onto the victim
        with pytest.raises(OSError):
            session.write_file("dir/x", "the caller's next input")
        outcome = {}

        def read():
            try:
                session.read_file("out")
            except OSError as error:
                outcome["error"] = error

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "reading a FIFO the program left blocked the caller"
        assert isinstance(outcome.get("error"), FileNotFoundError)
    assert victim.read_text() == "intact" and os.listdir(victim_dir) == []


# ---------------------------------------------------------------------------------------- size of a program
def test_a_program_over_128_kib_is_judged_not_lost():
    # One argv string holds at most 128 KiB: such a program, passed in the sandbox's argv, never started.
    big = SUM + "# padding\n" * 20_000
    rows = [answer(big), answer(SUM)]
    assert code_reward(rows, verification_info=[INFO] * 2, provider_type="local", timeout_s=5.0) == [1.0, 1.0]


# ---------------------------------------------------------------------------------------- full disks
needs_own_tmpfs = pytest.mark.skipif(
    not detect_isolation().work_tmpfs, reason="the work dir is a tmpfs of its own only when the caller is root"
)


@needs_own_tmpfs
@pytest.mark.parametrize("mode", MODES)
def test_a_program_fills_its_own_work_dir_and_tmp_not_the_hosts_disk(mode):
    limits = SandboxLimits(timeout_s=10, memory_mb=256, work_dir_mb=8, max_file_mb=4, tmp_size_mb=8, max_files=500)
    sandbox = Sandbox(limits, isolation=mode)
    # Without a mount namespace /tmp is the host's (documented): only the work dir is the program's own there.
    places = ("/sandbox", "/tmp") if "mount" in sandbox.isolation.namespaces else (".",)
    for where in places:
        by_size = sandbox.run(["python3", "-c", FILLS, where, str(1 << 20), "64"])  # 64 MiB
        assert by_size.ok and int(by_size.stdout) <= 8, (where, by_size)
        by_count = sandbox.run(["python3", "-c", FILLS, where, "0", "20000"])
        assert by_count.ok and int(by_count.stdout) <= 500, (where, by_count)


@pytest.fixture
def full_filesystem(tmp_path):
    """A tiny tmpfs (root only), full: where the sandbox's work dirs would go on a host whose disk is full."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path = tmp_path / "full"
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _fill(path) -> None:
    """Every byte and every inode."""
    for i in range(1000):
        try:
            with open(path / f"filler{i}", "wb") as f:
                f.write(b"x" * (64 << 10))
        except OSError:
            break
    for i in range(1000):
        try:
            open(path / f"inode{i}", "wb").close()
        except OSError:
            break


def test_a_full_disk_scores_none_for_each_row_and_raises_nothing(full_filesystem, monkeypatch, caplog):
    detect_isolation()  # probed before the disk filled up
    _fill(full_filesystem)
    monkeypatch.setattr(tempfile, "tempdir", str(full_filesystem))
    with caplog.at_level("WARNING"):
        out = code_reward([answer(SUM)] * 2, verification_info=[INFO] * 2, provider_type="local", timeout_s=5.0)
    assert out == [None, None]
    assert "could not judge 2 of 2 scripts" in caplog.text and "No space left on device" in caplog.text
    assert runner.incidents.pop("run failed to start") == 4  # one per test case run; nothing else (the fixture)


# ---------------------------------------------------------------------------------------- through the router
@pytest.fixture
def local_router():
    from test_code_providers import free_port

    started = []

    def start(env: dict[str, str] | None = None) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "scripts/e2b_router.py", "--host", "127.0.0.1", "--port", str(port)]
            + ["--provider", "local", "--max_num_sandboxes", "2", "--timeout_s", "5"],
            cwd=REPO_ROOT,
            env={**entry_point_env(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the router exited: {process.stdout.read()}")
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    return url
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("the router did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def _batch(url: str, scripts: list, evaluations: bool = True) -> requests.Response:
    payload = {"scripts": [str(s) for s in scripts], "languages": ["python"] * len(scripts)}
    if evaluations:
        payload["evaluations"] = [
            {"code": s.code, "language": s.language, "test_cases": s.test_cases, "command": s.command}
            if hasattr(s, "code")
            else s
            for s in scripts
        ]
    return requests.post(f"{url}/execute_batch", json=payload, timeout=300)


def _rates(response: requests.Response) -> list:
    assert response.status_code == 200, response.text[:2000]
    return [r["execution"]["results"][0]["text"] if r["execution"] else None for r in response.json()]


def test_the_router_answers_every_row_whatever_one_row_does(local_router):
    url = local_router()
    scripts = [
        code_evaluation_script(DEEP_CHAIN + SUM, INFO["test_cases"]),
        code_evaluation_script(SUM + "# padding\n" * 20_000, INFO["test_cases"]),
        code_evaluation_script("print(3)", INFO["test_cases"]),
    ]
    assert _rates(_batch(url, scripts)) == ["1.0", "1.0", "0.5"]
    # open-r1's own client sends the scripts alone: the oversized one is still run.
    assert _rates(_batch(url, scripts[1:], evaluations=False)) == ["1.0", "0.5"]
    # A row the router cannot rebuild is that row's error, not the batch's.
    bad = {"code": "int main() {}", "language": "cpp", "test_cases": INFO["test_cases"], "command": []}
    response = _batch(url, [bad, scripts[2]])
    assert response.status_code == 200 and response.json()[0]["exception_str"]
    assert _rates(response)[1] == "0.5"


def test_the_router_on_a_full_disk_answers_each_row_unjudged(local_router, full_filesystem):
    url = local_router({"TMPDIR": str(full_filesystem)})
    _fill(full_filesystem)
    response = _batch(url, [code_evaluation_script(SUM, INFO["test_cases"])] * 2)
    assert response.status_code == 200, response.text[:2000]
    assert [r["execution"] for r in response.json()] == [None, None]
    assert all("could not judge" in r["exception_str"] for r in response.json())


# ---------------------------------------------------------------------------------------- ends and leftovers
SPAWNS_DAEMONS = """
import os, time
for _ in range(10):
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
time.sleep(60)
"""


def test_no_process_of_a_killed_run_outlives_the_run(sandbox):
    if not (sandbox.isolation.own_uid or "pid" in sandbox.isolation.namespaces):
        pytest.skip("without a uid or pid namespace of its own a daemon survives (documented, warned)")
    for _ in range(3):
        result = sandbox.run(["python3", "-c", SPAWNS_DAEMONS], limits=SandboxLimits(timeout_s=0.5, max_processes=16))
        assert result.status == "timeout"
        assert leftover_processes() == []  # at once: not a moment later


def test_the_sandbox_init_shows_no_host_path_or_configuration(sandbox):
    if "pid" not in sandbox.isolation.namespaces:
        pytest.skip("without a pid namespace the program does not see its init as pid 1")
    with sandbox.session() as session:
        result = session.run(["python3", "-c", OWN_CMDLINE])
        assert result.ok, result
        for secret in (session.base_dir, str(REPO_ROOT), "rlimits", "open-r1-sandbox"):
            assert secret not in result.stdout


def test_a_failing_isolation_step_is_a_sandbox_error_not_the_programs_failure(monkeypatch):
    sandbox = Sandbox(LIMITS)
    config = sandbox._config
    monkeypatch.setattr(sandbox, "_config", lambda *a: {**config(*a), "rlimits": {"nproc": [-5, -5]}})
    result = sandbox.run(["true"])
    assert result.status == "sandbox_error" and "isolating the program" in result.error


# ---------------------------------------------------------------------------------------- the judge
TOUCHES_ITS_JUDGE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
judge = os.getppid()
reached = libc.ptrace(0x4206, judge, 0, 0) == 0  # PTRACE_SEIZE (no stop): then gdb -p $PPID rewrites the score
try:
    open(f"/proc/{judge}/mem", "r+b").close()  # or write its memory directly
    reached = True
except OSError:
    pass
print("reached" if reached else "out of reach")
"""
OWN_HARNESS = f"""
import subprocess, sys
program = subprocess.run([sys.executable, "-c", {TOUCHES_ITS_JUDGE!r}], capture_output=True, text=True)
print(1.0 if "reached" in program.stdout.split() else 0.0)
"""


def test_a_program_cannot_reach_the_plain_script_that_judges_it():
    # A script in no known template runs whole, its program beside it under one uid: ptrace or /proc/PID/mem on it
    # would let the program forge the score it reports.
    from open_r1.utils.code_execution.providers import LocalProvider

    assert LocalProvider(1, LIMITS).execute_scripts([OWN_HARNESS], ["python"]) == [0.0]


# ---------------------------------------------------------------------------------------- the kernel's surface
needs_filter = pytest.mark.skipif(not detect_isolation().syscall_filter, reason="libseccomp is not installed here")
KERNEL_SURFACE = r"""
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
child = os.fork()
if child == 0:
    time.sleep(10)
    os._exit(0)
attr = ctypes.create_string_buffer(128)
calls = {  # x86_64 system call numbers
    "unshare(user, net)": lambda: libc.unshare(0x10000000 | 0x40000000),
    "clone(new user namespace)": lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0),
    "setns": lambda: libc.setns(os.open("/proc/self/ns/net", os.O_RDONLY), 0),
    "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
    "ptrace(attach)": lambda: libc.ptrace(16, child, 0, 0),
    "process_vm_readv": lambda: libc.syscall(310, child, 0, 0, 0, 0, 0),
    "bpf": lambda: libc.syscall(321, 0, attr, 48),
    "perf_event_open": lambda: libc.syscall(298, attr, 0, -1, -1, 0),
    "io_uring_setup": lambda: libc.syscall(425, 4, ctypes.create_string_buffer(120)),
    "userfaultfd": lambda: libc.syscall(323, 1),  # UFFD_USER_MODE_ONLY: no privilege needed
    "keyctl": lambda: libc.syscall(250, 0, -3, 0),
    "add_key": lambda: libc.syscall(248, b"user", b"k", b"v", 1, -4),
    "init_module": lambda: libc.syscall(175, None, 0, b""),
    "kexec_load": lambda: libc.syscall(246, 0, 0, None, 0),
}
for name, call in calls.items():
    result, errno = call(), ctypes.get_errno()
    print(name, "denied" if result == -1 and errno == 1 else f"ALLOWED ({result}, {os.strerror(errno)})")
os.kill(child, 9)
"""


@needs_filter
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the program uses x86_64 system call numbers")
def test_the_kernels_surface_a_judged_program_never_needs_is_closed(sandbox):
    result = sandbox.run(["python3", "-c", KERNEL_SURFACE])
    assert result.ok, result
    lines = result.stdout.splitlines()
    assert len(lines) == 14 and all(line.endswith(" denied") for line in lines), result.stdout


# ---------------------------------------------------------------------------------------- kernel keyrings
KEYS = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "add":  # into the user keyring of its uid, which a later run may get
    added = libc.syscall(248, b"user", b"open-r1-test-key", b"left-by-an-earlier-run", 22, -4)
    print("added" if added > 0 else "refused")
else:
    found = []
    for keyring in (-4, -3):  # the user keyring, the session keyring
        key = libc.syscall(250, 10, keyring, b"user", sys.argv[2].encode(), 0)  # KEYCTL_SEARCH
        payload = ctypes.create_string_buffer(64)
        if key > 0 and libc.syscall(250, 11, key, payload, 64) > 0:  # KEYCTL_READ
            found.append(payload.value.decode())
    print(found)
"""


@needs_filter
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the program uses x86_64 system call numbers")
def test_no_key_crosses_from_one_run_to_the_next(sandbox):
    sandbox.run(["python3", "-c", KEYS, "add"])
    later = sandbox.run(["python3", "-c", KEYS, "find", "open-r1-test-key"])  # the same uid again (one at a time)
    assert later.ok and later.stdout == "[]\n", later


TRAINER_WITH_A_SESSION_KEYRING = r"""
import ctypes, sys
from open_r1.utils.code_execution.sandbox import Sandbox
libc = ctypes.CDLL(None, use_errno=True)
assert libc.syscall(250, 1, None) > 0  # a session keyring of its own, as an SSH login's pam_keyinit makes
assert libc.syscall(248, b"user", b"open-r1-hf-token", b"hf_trainers_token", 17, -3) > 0
result = Sandbox(isolation=sys.argv[1]).run(["python3", "-c", sys.argv[2], "find", "open-r1-hf-token"])
print(result.stdout, result.stderr)
"""


@needs_filter
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the program uses x86_64 system call numbers")
def test_a_program_cannot_read_the_trainers_session_keyring(sandbox):
    trainer = subprocess.run(
        [sys.executable, "-c", TRAINER_WITH_A_SESSION_KEYRING, sandbox.isolation.mode, KEYS],
        env=entry_point_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert trainer.returncode == 0, trainer.stderr[-3000:]
    assert "[]" in trainer.stdout and "hf_trainers_token" not in trainer.stdout  # its keyring died with it


# ---------------------------------------------------------------------------------------- per-run bounds
needs_cgroup = pytest.mark.skipif(not detect_isolation().cgroup, reason="no cgroup can be made here (warned)")
RUN_LIMITS = SandboxLimits(timeout_s=8, memory_mb=256, tmp_size_mb=8, work_dir_mb=8, max_processes=16)
RUN_TOTAL_MIB = 256 + 8 + 8
HOARDS_SHARED_MEMORY = """
import os
hoards, chunk = [], b"x" * (1 << 20)
for mib in range(1, 401):
    if mib % 32 == 1:  # memory outside the address space (RLIMIT_AS), in files under the file-size limit
        hoards.append(os.memfd_create("hoard"))
    os.write(hoards[-1], chunk)
    if mib % 8 == 0:
        print(mib, flush=True)
"""
SPREADS_OVER_PROCESSES = """
import os, time
children = []
for _ in range(3):  # each under the per-process limit, together over the run's
    child = os.fork()
    if child == 0:
        hold = b"x" * (150 << 20)
        time.sleep(4)
        os._exit(0)
    children.append(child)
time.sleep(2)
print(sum(os.waitpid(child, os.WNOHANG) == (0, 0) for child in children))
"""


@needs_cgroup
def test_shared_memory_counts_against_the_runs_memory(sandbox):
    result = sandbox.run(["python3", "-c", HOARDS_SHARED_MEMORY], limits=RUN_LIMITS)
    held = max(map(int, result.stdout.split() or [0]))
    assert held < RUN_TOTAL_MIB and not result.ok, (held, result.status)
    # The kernel refuses the page (the write fails: MemoryError or OSError) or kills the hoarder (memory_limit).
    assert result.status == "memory_limit" or "Error" in result.stderr, result


@needs_cgroup
def test_processes_each_under_the_limit_do_not_add_up_past_the_runs_memory(sandbox):
    result = sandbox.run(["python3", "-c", SPREADS_OVER_PROCESSES], limits=RUN_LIMITS)
    assert result.ok, result
    assert int(result.stdout) * 150 < RUN_TOTAL_MIB  # at most one holds its 150 MiB at a time


HOGS_IN_SESSIONS = """
import os, resource, time
children = []
for _ in range(8):  # each setsid() gets the kernel's autogroup: a CPU share of its own
    child = os.fork()
    if child == 0:
        os.setsid()
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            pass
        os._exit(0)
    children.append(child)
for child in children:
    os.waitpid(child, 0)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime)
"""
HONEST_WORK = """
import time
end = time.monotonic() + 2.5
while time.monotonic() < end:
    pass
print(time.process_time())
"""


@needs_cgroup
@pytest.mark.parametrize("mode", MODES)
def test_a_run_that_makes_many_sessions_gets_one_cpu_share(mode):
    # CPU time each run got in the same 2.5 s, side by side: with one share per run they get about the same (the
    # rest of the machine's load takes from both alike); with one share per session, the hog's 8 take 8/9 of it.
    sandbox = Sandbox(SandboxLimits(timeout_s=8, memory_mb=256, max_processes=16), isolation=mode)
    results = {}
    runs = {"hog": HOGS_IN_SESSIONS, "honest": HONEST_WORK}
    threads = [
        threading.Thread(target=lambda k=k, code=code: results.update({k: sandbox.run(["python3", "-c", code])}))
        for k, code in runs.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hog, honest = (float(results[k].stdout) for k in ("hog", "honest"))
    assert honest > 0.4 * hog, (honest, hog)


@needs_cgroup
def test_each_run_gets_a_cgroup_with_its_limits_and_it_goes_with_the_run(sandbox):
    from open_r1.utils.code_execution.sandbox import cgroups

    limits = SandboxLimits(timeout_s=5, memory_mb=200, tmp_size_mb=8, work_dir_mb=16, max_processes=7)
    running = threading.Thread(target=lambda: sandbox.run(["sleep", "1.5"], limits=limits))
    running.start()
    time.sleep(0.8)
    seen = {}
    for _, parent in cgroups.detect_cached().parents:
        (name,) = [n for n in os.listdir(parent) if n.startswith(f"open-r1-sandbox-{os.getpid()}-")]
        for setting in ("memory.limit_in_bytes", "memory.max", "pids.max"):
            if os.path.exists(os.path.join(parent, name, setting)):
                seen[setting] = open(os.path.join(parent, name, setting)).read().strip()
        assert open(os.path.join(parent, name, "cgroup.procs")).read().split()  # the run's processes are in it
    running.join()
    assert seen.get("memory.limit_in_bytes", seen.get("memory.max")) == str((200 + 8 + 16) << 20)
    assert seen["pids.max"] == "7"
    # the fixture checks that it is gone


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_the_local_judge_keeps_a_bounded_number_of_binaries_in_memory():
    import asyncio

    from open_r1.utils.code_execution.competitive_programming import LocalJudge

    judge = LocalJudge(num_parallel=1)
    judge.BINARY_CACHE_BYTES = 1  # keep only the newest
    for size in (1, 2, 3):  # each an initialized array of `size` MiB: a binary at least that big
        source = f"char data[{size} << 20] = {{1}};\nint main() {{ return data[0] - 1; }}\n"
        verdict = asyncio.run(judge.judge(source, "cpp", "", "", time_limit_s=5))
        assert verdict.score == 1.0, verdict
    assert len(judge._binaries) == 1 and 3 << 20 <= judge.cached_bytes() < 4 << 20
