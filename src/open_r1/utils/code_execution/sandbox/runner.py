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

Each run starts `init.py` (a fresh `python -I -S`) in its own process group; the init builds the isolation and runs
the program (see init.py). This side writes stdin, reads stdout/stderr with a cap, and kills the whole process
group at the wall-clock deadline. Isolation modes, strongest first; the first that works on this machine is used
and every guarantee it lacks is logged as a warning (docs/sandbox.md has the table):

    root    caller is root: new mount/net/pid/ipc/uts namespaces, a read-only whitelisted root, and the program
            runs as a uid of its own (one per concurrent run), so RLIMIT_NPROC and file permissions bind it
    userns  unprivileged caller with user namespaces: the same namespaces inside a user namespace; the program
            runs as another uid of a nested user namespace
    none    no namespaces (other OS, locked-down container): rlimits, clean environment, its own process group;
            as root also its own uid. No network or file isolation.
"""

import json
import logging
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace


logger = logging.getLogger(__name__)

INIT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "init.py")
MODES = ("root", "userns", "none")
_ALL_NAMESPACES = ("mount", "net", "pid", "ipc", "uts")
# Program uids (root mode): one per concurrent run of this process, far above any real account.
UID_BASE = 1 << 30
_SLOTS_PER_PROCESS = 1024
SETUP_TIMEOUT_S = 30.0  # building the isolation, on a loaded machine; the program's own clock starts after it
_EXIT_GRACE_S = 1.0  # after the program ends, how long leftovers may keep its output pipes open (mode none)
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

    def __post_init__(self):
        for name in ("timeout_s", "memory_mb", "max_processes", "max_output_bytes", "max_file_mb", "tmp_size_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Sandbox limit {name} must be positive, got {getattr(self, name)!r}.")

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
    """How one program ended. `status`: exited, signaled, timeout, output_limit or sandbox_error."""

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
    """One way of isolating programs, and what it guarantees (the README's table is generated from this)."""

    mode: str
    namespaces: tuple[str, ...]
    own_uid: bool  # the program runs as a uid of its own (root caller)

    @property
    def guarantees(self) -> dict[str, str | None]:
        """Guarantee -> the OS feature it rests on, None where this mode cannot give it."""
        ns = set(self.namespaces)
        return {
            "wall-clock limit": "the caller kills the run's process group at the deadline",
            "CPU-time limit": "RLIMIT_CPU",
            "memory limit (per process)": "RLIMIT_AS",
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
            "cannot signal the caller or other runs": "pid namespace"
            if "pid" in ns
            else "a different uid"
            if self.own_uid
            else None,
        }

    @property
    def missing(self) -> list[str]:
        return [name for name, feature in self.guarantees.items() if feature is None]


def _candidates() -> list[Isolation]:
    if not sys.platform.startswith("linux"):
        return [Isolation("none", (), False)]
    if os.geteuid() == 0:
        return [Isolation("root", _ALL_NAMESPACES, True), Isolation("none", (), True)]
    return [Isolation("userns", ("user", *_ALL_NAMESPACES), False), Isolation("none", (), False)]


_detected: dict[str, Isolation] = {}
_detect_lock = threading.Lock()


def detect_isolation(requested: str = "auto") -> Isolation:
    """The strongest isolation that works here (probed once per process by running `true` in it), or the one
    `requested` (root, userns, none), which must work. Logs a warning for every guarantee the result lacks."""
    with _detect_lock:
        if requested in _detected:
            return _detected[requested]
        candidates = _candidates()
        if requested != "auto":
            if requested not in MODES:
                raise ValueError(f"Unknown sandbox isolation {requested!r}: use auto, {', '.join(MODES)}.")
            own_uid = os.geteuid() == 0 and requested != "userns"
            namespaces = {"root": _ALL_NAMESPACES, "userns": ("user", *_ALL_NAMESPACES), "none": ()}[requested]
            candidates = [Isolation(requested, namespaces, own_uid)]
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
                "code_provider: e2b or morph (an API key), or a router URL (docs/sandbox.md)."
            )
        if failures:
            logger.warning("Sandbox: stronger isolation unavailable here (%s).", "; ".join(failures))
        if isolation.missing:
            logger.warning(
                "Sandbox isolation %r LACKS: %s. Untrusted programs may use these against this machine "
                "(see docs/sandbox.md).",
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

    def write_file(self, name: str, content: str | bytes) -> None:
        path = os.path.join(self.work_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def read_file(self, name: str, max_bytes: int = 1 << 20) -> bytes:
        path = os.path.join(self.work_dir, name)
        if os.path.islink(path):  # the program may have replaced it with a link to a caller's file
            raise FileNotFoundError(path)
        with open(path, "rb") as f:
            return f.read(max_bytes)

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
        isolation = self.isolation
        uid = _uids.acquire() if isolation.own_uid else None
        base_dir = tempfile.mkdtemp(prefix="open-r1-sandbox-")
        try:
            os.chmod(base_dir, 0o711)  # mode none: the program's uid must reach its work dir
            os.mkdir(os.path.join(base_dir, "work"), 0o700)
            os.mkdir(os.path.join(base_dir, "root"), 0o700)
            if uid is not None:
                os.chown(os.path.join(base_dir, "work"), uid, uid)
            session = SandboxSession(self, base_dir, uid)
            for name, content in (files or {}).items():
                session.write_file(name, content)
            yield session
        finally:
            shutil.rmtree(base_dir, ignore_errors=True)
            if uid is not None:
                _uids.release(uid)

    def run(
        self,
        argv: list[str],
        stdin: str | bytes = b"",
        files: dict[str, str | bytes] | None = None,
        limits: SandboxLimits | None = None,
    ) -> RunResult:
        """Runs one program in a fresh work dir holding `files`."""
        with self.session(files) as session:
            return session.run(argv, stdin, limits)

    def _config(self, session: SandboxSession, argv: list[str], limits: SandboxLimits, status_fd: int) -> dict:
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
            "status_fd": status_fd,
        }

    def _run(self, session: SandboxSession, argv: list[str], stdin: str | bytes, limits: SandboxLimits) -> RunResult:
        status_r, status_w = os.pipe()
        start = time.monotonic()
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", INIT_SCRIPT, json.dumps(self._config(session, argv, limits, status_w))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w,),
                start_new_session=True,  # the init, pid 1 and (mode none) the program share one killable group
                env={},
                cwd="/",
            )
        except OSError as error:
            os.close(status_r)
            os.close(status_w)
            return RunResult("sandbox_error", error=f"cannot start the sandbox init: {error}")
        os.close(status_w)
        try:
            return _communicate(process, status_r, stdin, limits, start)
        finally:
            _kill_group(process)
            process.wait()
            os.close(status_r)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _communicate(
    process: subprocess.Popen, status_fd: int, stdin: str | bytes, limits: SandboxLimits, start: float
) -> RunResult:
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
    written, status_text, report, ready_at = 0, b"", None, None
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
                        else:
                            report = message
                            deadline = min(deadline, time.monotonic() + _EXIT_GRACE_S)
                    continue
                outputs[fd] += chunk
                if len(outputs[fd]) > limits.max_output_bytes:
                    outcome = "output_limit"
                    break
            if outcome:
                break
    finally:
        _kill_group(process)
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
    return result


def run_in_sandbox(argv: list[str], stdin: str | bytes = b"", **limits) -> RunResult:
    """One program with default isolation and the given limit overrides (SandboxLimits fields)."""
    return Sandbox(replace(SandboxLimits(), **limits)).run(argv, stdin)
