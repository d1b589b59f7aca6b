"""The local sandbox's limits, one hostile program at a time, in every isolation mode that works on this machine."""

import os
import shutil
import socket
import threading
import time

import pytest

from open_r1.utils.code_execution.sandbox import Sandbox, SandboxLimits, detect_isolation
from open_r1.utils.code_execution.sandbox.runner import UID_BASE


pytestmark = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="the sandbox's isolation is Linux's")

LIMITS = SandboxLimits(timeout_s=2.0, memory_mb=256, max_processes=16, max_output_bytes=64 << 10, max_file_mb=4)
# Seconds a run may take past its limit on a loaded 2-core machine (start-up, teardown).
SLACK_S = 4.0


def _working_modes() -> list[str]:
    modes = []
    for mode in ("root", "userns", "none"):
        if mode == "userns" and os.geteuid() == 0:
            continue  # as root, a user namespace maps to uid 0, which the kernel exempts from RLIMIT_NPROC
        try:
            detect_isolation(mode)
        except (RuntimeError, ValueError):
            continue
        modes.append(mode)
    return modes


MODES = _working_modes()


@pytest.fixture(params=MODES)
def sandbox(request) -> Sandbox:
    return Sandbox(LIMITS, isolation=request.param)


def python(sandbox: Sandbox, code: str, stdin: str = "", **limits):
    return sandbox.run(["python3", "-c", code], stdin=stdin, limits=SandboxLimits(**{**LIMITS.__dict__, **limits}))


def leftover_processes() -> list[int]:
    """Pids of processes that run as a sandbox uid (root mode: the programs' own uids)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid >= UID_BASE and "State:\tZ" not in status:
            pids.append(int(pid))
    return pids


def assert_no_leftovers() -> None:
    deadline = time.monotonic() + 5  # SIGKILLed processes take a moment to go
    while leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftover_processes() == []


def test_the_strongest_isolation_is_detected_here():
    isolation = detect_isolation()
    if os.geteuid() == 0 and "root" in MODES:
        assert isolation.mode == "root" and not isolation.missing
    assert isolation.mode == MODES[0]


def test_a_program_runs_with_stdin_and_its_output_is_captured(sandbox):
    result = python(sandbox, "import sys; print(sys.stdin.read().upper()); print('err', file=sys.stderr)", "hi\n")
    assert result.ok, result
    assert result.stdout == "HI\n\n" and result.stderr == "err\n"
    assert python(sandbox, "raise SystemExit(3)").returncode == 3
    assert python(sandbox, "import os; os.kill(os.getpid(), 9)").status == "signaled"


def test_infinite_loop_stops_at_the_cpu_and_wall_limits(sandbox):
    start = time.monotonic()
    result = python(sandbox, "while True: pass", timeout_s=1.0)
    assert result.status == "timeout"
    assert time.monotonic() - start < 1.0 + SLACK_S


def test_sleeping_stops_at_the_wall_clock_limit(sandbox):
    start = time.monotonic()
    result = python(sandbox, "import time; print('start', flush=True); time.sleep(60)", timeout_s=1.0)
    assert result.status == "timeout" and result.stdout == "start\n"
    assert time.monotonic() - start < 1.0 + SLACK_S


def test_a_fork_flood_is_capped_and_ends(sandbox):
    start = time.monotonic()
    flood = (
        "import os\nn = 0\ntry:\n    while True:\n        os.fork(); n += 1\nexcept OSError:\n    print('capped')\n"
    )
    result = python(sandbox, flood)
    assert result.status in ("exited", "timeout")
    assert "capped" in result.stdout  # fork failed: the process limit held
    assert time.monotonic() - start < LIMITS.timeout_s + SLACK_S
    assert_no_leftovers()


def test_a_memory_flood_fails_inside_the_program(sandbox):
    result = python(sandbox, "x = bytearray(1 << 30); print('allocated')")
    assert not result.ok and "MemoryError" in result.stderr and "allocated" not in result.stdout


def test_an_output_flood_is_cut_at_the_cap(sandbox):
    start = time.monotonic()
    result = python(sandbox, "while True: print('x' * 1000)")
    assert result.status == "output_limit"
    assert len(result.stdout) <= LIMITS.max_output_bytes
    assert time.monotonic() - start < SLACK_S


def test_a_disk_flood_is_cut_at_the_file_size_limit(sandbox):
    result = python(sandbox, "open('big', 'wb').write(b'x' * (64 << 20))")
    assert not result.ok  # SIGXFSZ at 4 MiB


def test_no_network_to_the_host(sandbox):
    if "net" not in sandbox.isolation.namespaces:
        pytest.skip(f"isolation {sandbox.isolation.mode!r} has no network namespace (documented, warned)")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    try:
        result = python(sandbox, f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)")
        with pytest.raises(socket.timeout):
            server.accept()  # nobody came
    finally:
        server.close()
    assert not result.ok and "unreachable" in result.stderr


def test_the_callers_environment_is_not_visible(sandbox, monkeypatch):
    monkeypatch.setenv("OPEN_R1_TEST_API_KEY", "sk-secret")
    result = python(sandbox, "import os; print(sorted(os.environ)); print(open('/proc/self/environ').read())")
    assert result.ok, result
    assert "sk-secret" not in result.stdout and "OPEN_R1_TEST_API_KEY" not in result.stdout
    assert sorted(eval(result.stdout.splitlines()[0])) == ["HOME", "LANG", "PATH", "TMPDIR"]


def test_the_callers_files_cannot_be_read_or_written(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("sk-secret")
    secret.chmod(0o600)
    victim = tmp_path / "victim.txt"
    victim.write_text("intact")
    victim.chmod(0o666)  # even a world-writable file
    code = f"""
for path in ({str(secret)!r}, '/root/.bashrc', {os.path.abspath(__file__)!r}):
    try:
        print(open(path).read()[:20])
    except OSError as error:
        print('denied', type(error).__name__)
try:
    open({str(victim)!r}, 'w').write('hacked')
except OSError as error:
    print('denied', type(error).__name__)
"""
    result = python(sandbox, code)
    assert "sk-secret" not in result.stdout
    assert victim.read_text() == "intact" or "mount" not in sandbox.isolation.namespaces
    if "mount" in sandbox.isolation.namespaces:
        assert result.stdout.count("denied") == 4  # not even the world-readable test file exists in its root
        assert victim.read_text() == "intact"


def test_work_dir_is_private_writable_and_thrown_away(sandbox):
    with sandbox.session({"data.txt": "42\n"}) as session:
        result = session.run(["python3", "-c", "print(open('data.txt').read().strip()); open('out', 'w').write('1')"])
        assert result.ok and result.stdout == "42\n"
        assert session.read_file("out") == b"1"
        work_dir = session.work_dir
    assert not os.path.exists(work_dir)


def test_daemons_die_with_the_program(sandbox, tmp_path):
    daemon = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(1); os.close(2)
        while True:
            time.sleep(0.05)
    os._exit(0)
print('parent done')
"""
    start = time.monotonic()
    result = python(sandbox, daemon)
    assert result.ok and result.stdout == "parent done\n"
    assert time.monotonic() - start < SLACK_S  # the run did not wait for the daemon
    if sandbox.isolation.own_uid or "pid" in sandbox.isolation.namespaces:
        assert_no_leftovers()


def test_killing_its_parent_or_everyone_hurts_nobody_else(sandbox):
    me = os.getpid()
    other = {}
    thread = threading.Thread(target=lambda: other.update(result=python(sandbox, "import time; time.sleep(1.5)")))
    thread.start()
    time.sleep(0.3)
    code = f"""
import os, signal
for pid in (os.getppid(), -1, 1, {me}):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
print('alive')
"""
    result = python(sandbox, code)
    thread.join()
    assert result.status in ("exited", "signaled")  # kill(-1) may take the program itself
    assert os.getpid() == me  # this process survived
    assert other["result"].ok, other["result"]  # and so did the concurrent run


def test_runs_are_concurrent_and_independent():
    from concurrent.futures import ThreadPoolExecutor

    sandbox = Sandbox(LIMITS)
    codes = [f"import time; time.sleep(1); print({i})" for i in range(4)]
    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda code: python(sandbox, code), codes))
    elapsed = time.monotonic() - start
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(4)]
    assert elapsed < 3.8, elapsed  # one after the other would take 4 s


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_cpp_compiles_and_runs_in_the_sandbox(sandbox):
    source = "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a * b << std::endl; }\n"
    with sandbox.session({"main.cpp": source}) as session:
        compiled = session.run(["g++", "-O1", "-o", "main", "main.cpp"], limits=SandboxLimits(timeout_s=60))
        assert compiled.ok, compiled.stderr
        result = session.run(["./main"], stdin="6 7\n")
        assert result.ok and result.stdout == "42\n"
        loop = session.run(["sh", "-c", "while :; do :; done"], limits=SandboxLimits(timeout_s=1))
        assert loop.status == "timeout"


def test_limits_are_validated():
    with pytest.raises(ValueError, match="timeout_s"):
        SandboxLimits(timeout_s=0)
    with pytest.raises(ValueError, match="isolation"):
        detect_isolation("docker")


def test_a_missing_program_is_the_programs_failure_not_the_sandboxes():
    result = Sandbox(LIMITS).run(["no-such-interpreter"])
    assert result.status == "exited" and result.returncode == 127 and "cannot start" in result.stderr


def test_a_killed_run_leaves_no_process_and_no_directory_behind():
    before = {name for name in os.listdir("/tmp") if name.startswith("open-r1-sandbox-")}
    result = python(Sandbox(LIMITS), "import os, time\nos.fork()\ntime.sleep(30)", timeout_s=0.5)
    assert result.status == "timeout"
    after = {name for name in os.listdir("/tmp") if name.startswith("open-r1-sandbox-")}
    assert after <= before
    assert_no_leftovers()
