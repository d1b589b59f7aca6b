# Copyright 2026 The open-r1 reproduction authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The caller's side of the local sandbox: probe the machine once, then run programs under limits.

Each run starts `init.py` (a fresh `python -I -S`, its source and configuration on file descriptors) in its own
process group and, where the host allows, its own cgroup (cgroups.py); the init builds the isolation and runs the
program (see init.py). This side writes stdin, reads stdout/stderr with a cap, kills the whole process group at
the wall-clock deadline, waits until every process of the run is gone, and only then cleans up (workdir.py).
Nothing a program does makes a run raise: whatever fails is the run's `sandbox_error`. Isolation modes, strongest
first; the first that works on this machine is used and every guarantee it lacks is logged as a warning (the
table of docs/sandbox.md):

    root    caller is root: new mount/net/pid/ipc/uts namespaces, a read-only whitelisted root, and the program
            runs as a uid of its own (one per concurrent run), so RLIMIT_NPROC and file permissions bind it
    userns  unprivileged caller with user namespaces: the same namespaces inside a user namespace; the program
            runs as another uid of a nested user namespace
    none    no namespaces (other OS, locked-down container): rlimits, clean environment, its own process group;
            as root also its own uid. No network or file isolation.
"""

import ctypes
import itertools
import json
import logging
import math
import os
import select
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from . import cgroups, workdir


logger = logging.getLogger(__name__)
# What went wrong around programs in this process (each also logged): a work dir or a cgroup left behind, processes
# that outlived their run, runs that failed to start. Tests assert it stays still; monitoring may read it.
incidents: Counter = Counter()

INIT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "init.py")
MODES = ("root", "userns", "none")
_ALL_NAMESPACES = ("mount", "net", "pid", "ipc", "uts")
# Program uids (root mode): one per concurrent run of this process, far above any real account.
UID_BASE = 1 << 30
_SLOTS_PER_PROCESS = 1024
SETUP_TIMEOUT_S = 30.0  # building the isolation, on a loaded machine; the program's own clock starts after it
_EXIT_GRACE_S = 1.0  # after the program ends, how long leftovers may keep its output pipes open (mode none)
_GONE_TIMEOUT_S = 5.0  # how long the end of a killed run's last process may take
_READ_CHUNK = 1 << 16
SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class SandboxLimits:
    """Per-program limits. CPU time defaults to the wall-clock limit."""

    timeout_s: float = 5.0
    cpu_time_s: float | None = None
    memory_mb: int = 1024
    max_processes: int = 64
    max_output_bytes: int = 1 << 20
    max_file_mb: int = 64
    tmp_size_mb: int = 64
    work_dir_mb: int = 256  # the session's work dir, as root a tmpfs of its own (binaries compiled there too)
    max_files: int = 10_000  # inodes in the work dir's tmpfs and in /tmp
    total_memory_mb: int | None = None  # all processes of a run together (cgroup); None: memory + /tmp + work dir

    def __post_init__(self):
        names = ("timeout_s", "memory_mb", "max_processes", "max_output_bytes", "max_file_mb", "tmp_size_mb")
        for name in (*names, "work_dir_mb", "max_files"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Sandbox limit {name} must be positive, got {getattr(self, name)!r}.")

    @property
    def run_memory_bytes(self) -> int:
        """The run's total memory: its processes, and the tmpfs pages of /tmp and the work dir it writes."""
        total = self.total_memory_mb or self.memory_mb + self.tmp_size_mb + self.work_dir_mb
        return total << 20

    def rlimits(self) -> dict[str, tuple[int, int]]:
        cpu = math.ceil(self.cpu_time_s if self.cpu_time_s is not None else self.timeout_s)
        file_bytes = self.max_file_mb << 20
        return {
            "cpu": (cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one second later
            "as": (self.memory_mb << 20, self.memory_mb << 20),
            "nproc": (self.max_processes, self.max_processes),
            "fsize": (file_bytes, file_bytes),
            "core": (0, 0),
            "nofile": (1024, 1024),
        }


@dataclass
class RunResult:
    """How one program ended. `status`: exited, signaled, timeout, output_limit, memory_limit (it failed after the
    kernel killed a process of the run for the run's total memory, cgroup) or sandbox_error (the sandbox failed, not
    the program: the run cannot be judged)."""

    status: str
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "exited" and self.returncode == 0


@dataclass(frozen=True)
class Isolation:
    """One way of isolating programs, and what it guarantees (docs/sandbox.md's table says it in words)."""

    mode: str
    namespaces: tuple[str, ...]
    own_uid: bool  # the program runs as a uid of its own (root caller)
    cgroup: int | None = None  # cgroup version of the per-run cgroups, None: none can be made here
    syscall_filter: bool = False  # a libseccomp filter on every program
    work_tmpfs: bool = False  # each session's work dir is a tmpfs of its own (root caller)

    @property
    def weaker(self) -> "Isolation":
        """The same mode without the layers that need more than the namespaces (cgroups, filter, tmpfs)."""
        return replace(self, cgroup=None, syscall_filter=False, work_tmpfs=False)

    @property
    def guarantees(self) -> dict[str, str | None]:
        """Guarantee -> the OS feature it rests on, None where this mode cannot give it."""
        ns = set(self.namespaces)
        cgroup = f"a cgroup (v{self.cgroup}) per run" if self.cgroup else None
        return {
            "wall-clock limit": "the caller kills the run's process group at the deadline",
            "CPU-time limit": "RLIMIT_CPU",
            "memory limit (per process)": "RLIMIT_AS",
            "total memory per run (shared memory, memfd, tmpfs included)": cgroup and cgroup + " (memory)",
            "CPU share per run, however many sessions it makes": cgroup and cgroup + " (cpu)",
            "syscall filter (namespaces, mount, ptrace, bpf, perf, io_uring, userfaultfd, keyrings, modules)": (
                "libseccomp filter, after no_new_privs" if self.syscall_filter else None
            ),
            "kernel keyrings: no key in or out": (
                "a fresh session keyring, keyctl/add_key/request_key denied by the filter"
                if self.syscall_filter
                else None
            ),
            "work dir bounded in bytes and files": "a tmpfs of its own (size, nr_inodes)" if self.work_tmpfs else None,
            "process limit": (
                "RLIMIT_NPROC on the program's own uid"
                if self.own_uid
                else "RLIMIT_NPROC in a nested user namespace"
                if "user" in ns
                else None
            ),
            "output cap": "bounded reads by the caller, kill on overflow",
            "file-size limit": "RLIMIT_FSIZE",
            "clean environment": "execve with an explicit environment",
            "no network": "a new network namespace (no interfaces up)" if "net" in ns else None,
            "no view of the caller's files": "mount namespace + chroot into a read-only whitelisted root"
            if "mount" in ns
            else "unprivileged uid: only world-readable files"
            if self.own_uid
            else None,
            "no writes outside the work dir": "mount namespace + read-only bind mounts"
            if "mount" in ns
            else "unprivileged uid: only world-writable places"
            if self.own_uid
            else None,
            "every process killed at the end (daemons too)": "pid namespace: its init's death kills them all"
            if "pid" in ns
            else "kill(-1) as the program's own uid"
            if self.own_uid
            else None,
            "cleanup only after every process of the run is gone": (
                f"{cgroup}: empty before removal"
                if cgroup
                else "the end of pid 1 (after every process of its namespace)"
                if "pid" in ns
                else None
            ),
            "cannot signal the caller or other runs": "pid namespace"
            if "pid" in ns
            else "a different uid"
            if self.own_uid
            else None,
        }

    @property
    def missing(self) -> list[str]:
        return [name for name, feature in self.guarantees.items() if feature is None]


_MODE_NAMESPACES = {"root": _ALL_NAMESPACES, "userns": ("user", *_ALL_NAMESPACES), "none": ()}


def _libseccomp_loads() -> bool:
    try:
        ctypes.CDLL("libseccomp.so.2")
        return True
    except OSError:
        return False


def _isolation(mode: str) -> Isolation:
    """`mode` with every extra layer this machine seems to offer (the probe run confirms)."""
    root = os.geteuid() == 0
    support = cgroups.detect()
    return Isolation(
        mode,
        _MODE_NAMESPACES[mode],
        own_uid=root and mode != "userns",
        cgroup=support.version if support else None,
        syscall_filter=_libseccomp_loads(),
        work_tmpfs=root and mode != "userns",
    )


def _candidates() -> list[Isolation]:
    if not sys.platform.startswith("linux"):
        return [Isolation("none", (), False)]
    modes = ("root", "none") if os.geteuid() == 0 else ("userns", "none")
    return [_isolation(mode) for mode in modes]


_detected: dict[str, Isolation] = {}
_detect_lock = threading.Lock()


def detect_isolation(requested: str = "auto") -> Isolation:
    """The strongest isolation that works here (probed once per process by running `true` in it), or the one
    `requested` (root, userns, none), which must work. Logs a warning for every guarantee the result lacks."""
    with _detect_lock:
        if requested in _detected:
            return _detected[requested]
        if requested != "auto" and requested not in MODES:
            raise ValueError(f"Unknown sandbox isolation {requested!r}: use auto, {', '.join(MODES)}.")
        candidates = _candidates() if requested == "auto" else [_isolation(requested)]
        # Each mode with its extra layers first, then without them (each layer it lacks is named below).
        candidates = [c for isolation in candidates for c in dict.fromkeys((isolation, isolation.weaker))]
        failures = []
        for isolation in candidates:
            result = Sandbox(isolation=isolation).run(["true"])
            if result.ok:
                break
            failures.append(f"{isolation.mode}: {result.error or result.stderr.strip() or result.status}")
        else:
            raise RuntimeError(
                "No sandbox isolation works on this machine: "
                + "; ".join(failures)
                + ". Run where user namespaces are allowed (or as root), or judge code elsewhere: "
                "code_provider: e2b or morph (an API key), or a router URL (README: the local sandbox)."
            )
        if failures:
            logger.warning("Sandbox: stronger isolation unavailable here (%s).", "; ".join(failures))
        if isolation.missing:
            logger.warning(
                "Sandbox isolation %r LACKS: %s. Untrusted programs may use these against this machine "
                "(README: the local sandbox).",
                isolation.mode,
                ", ".join(isolation.missing),
            )
        else:
            logger.info("Sandbox isolation %r: every guarantee holds.", isolation.mode)
        _detected[requested] = isolation
        return isolation


class _UidPool:
    """One uid per concurrent run of this process (root mode), so per-uid limits and kills never cross runs."""

    def __init__(self):
        self._free: list[int] = []
        self._next = 0
        self._lock = threading.Lock()

    def acquire(self) -> int:
        with self._lock:
            if self._free:
                return self._free.pop()
            if self._next >= _SLOTS_PER_PROCESS:
                raise RuntimeError(f"More than {_SLOTS_PER_PROCESS} concurrent sandboxes in one process.")
            self._next += 1
            return UID_BASE + (os.getpid() % (1 << 20)) * _SLOTS_PER_PROCESS + self._next - 1

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)


_uids = _UidPool()


@dataclass
class SandboxSession:
    """A throw-away work dir (and, as root, a uid of its own) in which several programs run one after the other,
    e.g. a compiler and then its binary on each test. Programs see it as /sandbox, their working directory."""

    sandbox: "Sandbox"
    base_dir: str
    uid: int | None
    runs: int = field(default=0)

    @property
    def work_dir(self) -> str:
        return os.path.join(self.base_dir, "work")

    def write_file(self, name: str, content: str | bytes, mode: int = 0o644) -> None:
        """Writes `name` in the work dir, following no link a program of this session may have left there."""
        data = content.encode() if isinstance(content, str) else content
        workdir.write_file(self.work_dir, name, data, self.uid, mode)

    def read_file(self, name: str, max_bytes: int = 1 << 20) -> bytes:
        """At most `max_bytes` of a regular file in the work dir (FileNotFoundError for a link, a FIFO, nothing)."""
        return workdir.read_file(self.work_dir, name, max_bytes)

    def run(self, argv: list[str], stdin: str | bytes = b"", limits: SandboxLimits | None = None) -> RunResult:
        self.runs += 1
        return self.sandbox._run(self, argv, stdin, limits or self.sandbox.limits)


class Sandbox:
    """Runs untrusted programs under `limits` with the strongest isolation this machine offers (see module doc)."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        isolation: "str | Isolation" = "auto",
        read_only_paths: tuple[str, ...] = (),
    ):
        self.limits = limits or SandboxLimits()
        self._isolation = isolation
        self.read_only_paths = tuple(read_only_paths)

    @property
    def isolation(self) -> Isolation:
        if not isinstance(self._isolation, Isolation):
            self._isolation = detect_isolation(self._isolation)
        return self._isolation

    @contextmanager
    def session(self, files: dict[str, str | bytes] | None = None) -> Iterator[SandboxSession]:
        """A work dir holding `files` (as root, a tmpfs of `limits.work_dir_mb` and `limits.max_files` inodes).
        Making it may raise OSError (a full disk); removing it never raises: what cannot be removed is logged."""
        isolation = self.isolation
        uid = _uids.acquire() if isolation.own_uid else None
        base_dir, mounted, clean = None, False, True
        try:
            base_dir = tempfile.mkdtemp(prefix="open-r1-sandbox-")
            os.chmod(base_dir, 0o711)  # mode none: the program's uid must reach its work dir
            os.mkdir(os.path.join(base_dir, "work"), 0o700)
            os.mkdir(os.path.join(base_dir, "root"), 0o700)
            if isolation.work_tmpfs:
                workdir.mount_tmpfs(
                    os.path.join(base_dir, "work"), self.limits.work_dir_mb, self.limits.max_files, uid or 0
                )
                mounted = True
            elif uid is not None:
                os.chown(os.path.join(base_dir, "work"), uid, uid)
            session = SandboxSession(self, base_dir, uid)
            for name, content in (files or {}).items():
                session.write_file(name, content)
            yield session
        finally:
            if base_dir is not None:
                clean = _remove_base_dir(base_dir, mounted)
            if uid is not None and clean:  # a uid whose files are still there is never given to another run
                _uids.release(uid)

    def run(
        self,
        argv: list[str],
        stdin: str | bytes = b"",
        files: dict[str, str | bytes] | None = None,
        limits: SandboxLimits | None = None,
    ) -> RunResult:
        """Runs one program in a fresh work dir holding `files`. Never raises for what the program does or for a
        machine that cannot make its work dir: that is a `sandbox_error` result."""
        try:
            with self.session(files) as session:
                return session.run(argv, stdin, limits)
        except (OSError, RuntimeError, ValueError) as error:
            incidents["run failed to start"] += 1
            return RunResult(
                "sandbox_error", error=f"the sandbox could not be set up: {type(error).__name__}: {error}"
            )

    def _config(self, session: SandboxSession, argv: list[str], limits: SandboxLimits) -> dict:
        isolation = self.isolation
        in_root = "mount" in isolation.namespaces
        home = "/sandbox" if in_root else session.work_dir
        return {
            "argv": list(argv),
            "env": {"PATH": SANDBOX_PATH, "LANG": "C.UTF-8", "HOME": home, "TMPDIR": "/tmp" if in_root else home},
            "cwd": home,
            "work_dir": session.work_dir,
            "root_dir": os.path.join(session.base_dir, "root"),
            "read_only_paths": list(self.read_only_paths),
            "namespaces": list(isolation.namespaces),
            "uid": session.uid,
            "rlimits": limits.rlimits(),
            "tmp_size_mb": limits.tmp_size_mb,
            "max_files": limits.max_files,
            "syscall_filter": isolation.syscall_filter,
            "fresh_keyring": isolation.syscall_filter,
        }

    def _run(self, session: SandboxSession, argv: list[str], stdin: str | bytes, limits: SandboxLimits) -> RunResult:
        """One program in `session`; returns only once every process of the run is gone."""
        isolation = self.isolation
        support = cgroups.detect_cached() if isolation.cgroup else None
        cgroup, process, pid1, fds = None, None, None, []
        try:
            config = self._config(session, argv, limits)
            if support is not None:
                name = f"open-r1-sandbox-{os.getpid()}-{next(_run_ids)}"
                cgroup = cgroups.RunCgroup(support, name, limits.run_memory_bytes, limits.max_processes)
                config["cgroup_procs"] = cgroup.procs_files
            status_r, status_w = os.pipe()
            fds += [status_r, status_w]
            script_fd = os.open(INIT_SCRIPT, os.O_RDONLY)
            fds.append(script_fd)
            config_file = tempfile.TemporaryFile()  # the configuration travels by file, never in an argv
            fds.append(config_file)
            config.update(status_fd=status_w, script_fd=script_fd)
            config_file.write(json.dumps(config).encode())
            config_file.flush()
            config_file.seek(0)
            start = time.monotonic()
            executable = os.path.realpath(sys.executable)
            process = subprocess.Popen(
                [executable, "-I", "-S", f"/dev/fd/{script_fd}", str(config_file.fileno())],
                executable=executable,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w, script_fd, config_file.fileno()),
                start_new_session=True,  # the init, pid 1 and (mode none) the program share one killable group
                env={},
                cwd="/",
            )
            for fd in (status_w, script_fd):
                os.close(fd)
                fds.remove(fd)
            config_file.close()
            fds.remove(config_file)
            result, pid1 = _communicate(process, status_r, stdin, limits, start)
            failed = result.status == "signaled" or (result.status == "exited" and result.returncode != 0)
            if cgroup is not None and failed and cgroup.oom_killed():  # why it failed, for the judges
                result.status, result.error = "memory_limit", "the run went over its total memory (cgroup)"
            return result
        except (OSError, RuntimeError, ValueError) as error:
            incidents["run failed to start"] += 1
            return RunResult("sandbox_error", error=f"cannot run the sandbox: {type(error).__name__}: {error}")
        finally:
            if process is not None:
                if cgroup is not None and "pid" not in isolation.namespaces and process.poll() is None:
                    # No pid namespace: kill the program's processes but not the init, which reaps them. Killed
                    # with it, they would be the host init's zombies for a while, counted against the uid that the
                    # next run gets (RLIMIT_NPROC).
                    cgroup.kill(sparing=process.pid)
                    try:
                        process.wait(timeout=_GONE_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        pass
                _kill_group(process)
                process.wait()
            _wait_gone(pid1)
            if cgroup is not None and not cgroup.close():
                incidents["processes outlived their run"] += 1
                logger.warning(
                    "Sandbox: processes of a run are still alive; its cgroup is left: %s", cgroup.directories
                )
            for fd in fds:
                try:
                    fd.close() if hasattr(fd, "close") else os.close(fd)
                except OSError:
                    pass


_run_ids = itertools.count()


def _remove_base_dir(base_dir: str, mounted: bool) -> bool:
    """Removes a session's directory whatever its programs left in it; never raises. False if something is left."""
    try:
        work = os.path.join(base_dir, "work")
        if mounted:
            workdir.unmount(work)  # the tmpfs and all in it go at once, however deep or many
        workdir.remove_tree(base_dir)
        return True
    except Exception as error:  # noqa: BLE001 - a leftover is logged and counted, never raised into a reward
        incidents["work dir left behind"] += 1
        logger.warning("Sandbox: could not remove the work dir %s: %s: %s", base_dir, type(error).__name__, error)
        return False


def _wait_gone(pid1: int | None) -> None:
    """Waits for the end of a run's pid 1 (the kernel ends it only after every process of its pid namespace)."""
    if pid1 is None:
        return
    try:
        pidfd = os.pidfd_open(pid1)
    except (OSError, AttributeError):
        return  # already gone (and reaped)
    try:
        if not select.select([pidfd], [], [], _GONE_TIMEOUT_S)[0]:
            incidents["processes outlived their run"] += 1
            logger.warning("Sandbox: the pid namespace of a run did not end within %.0f s.", _GONE_TIMEOUT_S)
    finally:
        os.close(pidfd)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _communicate(
    process: subprocess.Popen, status_fd: int, stdin: str | bytes, limits: SandboxLimits, start: float
) -> tuple[RunResult, int | None]:
    """Feeds stdin, reads at most `max_output_bytes` of each output stream and the init's reports, and enforces
    the wall-clock limit (from the moment the program starts). Kills the group on any overflow or deadline."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    selector = selectors.DefaultSelector()
    outputs = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    for fd in outputs:
        selector.register(fd, selectors.EVENT_READ)
    selector.register(status_fd, selectors.EVENT_READ)
    stdin_fd = process.stdin.fileno()
    if data:
        os.set_blocking(stdin_fd, False)
        selector.register(stdin_fd, selectors.EVENT_WRITE)
    else:
        process.stdin.close()
    written, status_text, report, ready_at, pid1 = 0, b"", None, None, None
    deadline = start + SETUP_TIMEOUT_S
    outcome = None
    try:
        while len(selector.get_map()) > (1 if stdin_fd in selector.get_map() else 0):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if report is not None:  # the program ended; only leftovers (mode none) still hold the pipes
                    break
                outcome = "timeout" if ready_at is not None else "sandbox_error"
                break
            for key, _ in selector.select(min(remaining, 1.0)):
                fd = key.fd
                if fd == stdin_fd:
                    try:
                        written += os.write(fd, data[written : written + _READ_CHUNK])
                    except (BrokenPipeError, OSError):
                        written = len(data)
                    if written >= len(data):
                        selector.unregister(fd)
                        process.stdin.close()
                    continue
                chunk = os.read(fd, _READ_CHUNK)
                if not chunk:
                    selector.unregister(fd)
                    continue
                if fd == status_fd:
                    status_text += chunk
                    *lines, status_text = status_text.split(b"\n")
                    for line in lines:
                        message = json.loads(line)
                        if message.get("ready"):
                            ready_at = time.monotonic()
                            deadline = ready_at + limits.timeout_s
                        elif "pid1" in message:
                            pid1 = int(message["pid1"])
                        elif report is None or "error" not in report:  # a setup error is the run's outcome
                            report = message
                            deadline = min(deadline, time.monotonic() + _EXIT_GRACE_S)
                    continue
                outputs[fd] += chunk
                if len(outputs[fd]) > limits.max_output_bytes:
                    outcome = "output_limit"
                    break
            if outcome:
                break
    finally:  # the caller (_run) kills what is left of the run, in the order that leaves no zombie
        selector.close()
        if not process.stdin.closed:
            try:
                process.stdin.close()
            except OSError:
                pass
    wall = time.monotonic() - (ready_at or start)
    stdout, stderr = (bytes(outputs[f.fileno()][: limits.max_output_bytes]) for f in (process.stdout, process.stderr))
    result = RunResult(
        outcome or "exited",
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
        wall_s=wall,
    )
    if outcome == "sandbox_error":
        result.error = "the sandbox did not start within its setup time"
    elif outcome is None:
        if report is None:
            result.status, result.error = "sandbox_error", "the sandbox init ended without a report"
            process.wait()
            result.error += f" (exit {process.returncode}; {result.stderr.strip()[-500:]})"
        elif "error" in report:
            result.status, result.error = "sandbox_error", report["error"]
        elif "signal" in report:
            sig = report["signal"]
            # SIGXCPU at the soft CPU limit, SIGKILL at the hard one (a program that ignores SIGXCPU)
            result.status = "timeout" if sig == signal.SIGXCPU else "signaled"
            result.returncode = -sig
        else:
            result.returncode = report["exit"]
    return result, pid1


def run_in_sandbox(argv: list[str], stdin: str | bytes = b"", **limits) -> RunResult:
    """One program with default isolation and the given limit overrides (SandboxLimits fields)."""
    return Sandbox(replace(SandboxLimits(), **limits)).run(argv, stdin)
