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
"""The sandbox's init: builds the isolation around one untrusted program, runs it, reports how it ended.

Run as its own process (`python -I -S init.py CONFIG_JSON`) by `runner.py`, never imported: it uses only the
standard library and ctypes, so it starts in a few milliseconds and runs whatever the caller's packages are.

    outer init (caller's pid namespace)          -- unshare(user?, mount, net, pid, ipc, uts), then fork
      pid 1 of the new pid namespace             -- builds the new root, chroots, reaps, reports on STATUS_FD
        the program (unprivileged uid, rlimits)  -- setsid, rlimits, drop uid/gid/caps, no_new_privs, exec

The caller kills the outer init's process group at its wall-clock deadline; pid 1 has PDEATHSIG=SIGKILL, and when
pid 1 of a pid namespace dies the kernel kills every process in it: no daemon survives the program. Every step
that fails is reported as {"error": ...} on the status pipe (the program is never run without the isolation that
was asked for: the caller decides about fallbacks, once, when it probes the machine).
"""

import ctypes
import json
import os
import resource
import signal
import sys


CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = {
    "user": CLONE_NEWUSER,
    "mount": CLONE_NEWNS,
    "net": CLONE_NEWNET,
    "pid": CLONE_NEWPID,
    "ipc": CLONE_NEWIPC,
    "uts": CLONE_NEWUTS,
}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
# What the program sees of the machine: the OS and its toolchains, read-only. Nothing else (no /home, /root, /work,
# /tmp, /mnt, /proc of the host, ...) exists in its root.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
INNER_UID = 1000  # the program's uid inside its own user namespace (userns mode)

libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)} (errno {errno})")


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _map_ids(inside: int, outside_uid: int, outside_gid: int) -> None:
    """Maps one uid/gid of the new user namespace to the caller's (all an unprivileged process may map)."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside} {outside_uid} 1\n")
    _write("/proc/self/gid_map", f"{inside} {outside_gid} 1\n")


def build_root(config: dict) -> None:
    """A fresh root in a tmpfs: system paths read-only, the work dir at /sandbox, private /tmp, /dev and /proc."""
    root = config["root_dir"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here propagates back to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in SYSTEM_PATHS + tuple(config.get("read_only_paths", ())):
        if not os.path.lexists(path):
            continue
        target = root + path
        if os.path.islink(path) and path in SYSTEM_PATHS:  # merged /usr: /bin -> usr/bin
            os.symlink(os.readlink(path), target)
            continue
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    os.makedirs(root + "/sandbox")
    _mount(config["work_dir"], root + "/sandbox", None, MS_BIND)
    _mount(None, root + "/sandbox", None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
    os.makedirs(root + "/tmp")
    tmp_mb = config.get("tmp_size_mb", 64)
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    os.makedirs(root + "/dev")
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "size=64k,mode=0755")
    for name in DEVICES:
        open(root + "/dev/" + name, "w").close()
        _mount("/dev/" + name, root + "/dev/" + name, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "fd/0"), ("stdout", "fd/1"), ("stderr", "fd/2")):
        os.symlink(target, root + "/dev/" + name)
    if "pid" in config["namespaces"]:  # a /proc that shows only the sandbox's own processes
        os.makedirs(root + "/proc")
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _enter_root(root)
    os.chdir("/sandbox")


def _enter_root(root: str) -> None:
    # pivot_root, not chroot: a chrooted process may not create user namespaces (userns mode needs one per program),
    # and pivot_root leaves no path back to the old root.
    number = PIVOT_ROOT_SYSCALL.get(os.uname().machine)
    if number is None:
        _check(libc.chroot(root.encode()), "chroot")
        return
    os.chdir(root)
    _check(libc.syscall(number, b".", b"."), "pivot_root")
    _check(libc.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir("/")


def _which(name: str, search_path: str) -> str:
    # os.execvpe imports modules, which are out of reach once the program's root or uid is in place.
    if "/" in name:
        return name
    for directory in search_path.split(":"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(f"{name!r} is not on the sandbox's PATH")


def exec_program(config: dict, status_fd: int) -> None:
    """In the forked child: limits, identity, then exec. Never returns."""
    try:
        os.close(status_fd)
        os.setsid()  # its own process group: the fallback mode kills the group
        limits = config["rlimits"]
        for name, value in limits.items():
            resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), tuple(value))
        uid = config.get("uid")
        if uid is not None:  # root caller: become an unprivileged uid of our own (rlimits and kills are per uid)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        elif "user" in config["namespaces"]:
            # Unprivileged caller: the init is "root" of its user namespace and holds the status pipe. The program
            # gets a nested user namespace as another uid, so it has no capability over its init.
            outer_uid, outer_gid = os.getuid(), os.getgid()
            _check(libc.unshare(CLONE_NEWUSER), "unshare(user) for the program")
            _map_ids(INNER_UID, outer_uid, outer_gid)
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(no_new_privs)")
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.chdir(config["cwd"])
        os.execve(_which(config["argv"][0], config["env"].get("PATH", "")), config["argv"], config["env"])
    except BaseException as error:  # noqa: BLE001 - report whatever stopped the exec, then die
        try:
            os.write(2, f"sandbox: cannot start {config['argv'][0]!r}: {error}\n".encode())
        finally:
            os._exit(127)


def supervise(config: dict, status_fd: int) -> int:
    """Fork the program, reap everything until it ends, report its status. Returns the init's exit code."""
    child = os.fork()
    if child == 0:
        exec_program(config, status_fd)
    os.write(status_fd, json.dumps({"ready": True}).encode() + b"\n")
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            status = None
            break
        except InterruptedError:
            continue
        if pid == child:
            break
    report = {"exit": os.WEXITSTATUS(status)} if status is not None and os.WIFEXITED(status) else {}
    if status is not None and os.WIFSIGNALED(status):
        report = {"signal": os.WTERMSIG(status)}
    if "pid" not in config["namespaces"]:
        kill_leftovers(config, child)
        # As the subreaper, this init inherited every orphan: reap them, or they would stay zombies counting
        # against the uid's process limit (many containers' pid 1 never reaps).
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    os.write(status_fd, json.dumps(report).encode() + b"\n")
    return 0


def kill_leftovers(config: dict, child: int) -> None:
    """Without a pid namespace: kill the program's process group, and as its uid, every process of that uid."""
    try:
        os.killpg(child, signal.SIGKILL)
    except OSError:
        pass
    uid = config.get("uid")
    if uid is None:
        return
    killer = os.fork()
    if killer == 0:  # kill(-1) as the sandbox uid reaches exactly the processes that uid owns, setsid'd or not
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(killer, 0)


def main() -> int:
    config = json.loads(sys.argv[1])
    status_fd = config["status_fd"]
    namespaces = config["namespaces"]
    try:
        flags = 0
        for name in namespaces:
            flags |= NAMESPACE_FLAGS[name]
        if flags:
            outer_uid, outer_gid = os.getuid(), os.getgid()
            _check(libc.unshare(flags), f"unshare({', '.join(namespaces)})")
            if "user" in namespaces:
                _map_ids(0, outer_uid, outer_gid)
        if "pid" in namespaces:
            pid1 = os.fork()  # the first child in a new pid namespace is its pid 1
            if pid1:
                _, status = os.waitpid(pid1, 0)
                return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 125
            # Dies with the outer init; the caller's killpg reaches it too (same process group).
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if "pid" not in namespaces:  # orphans of the program come back to this init, which reaps them
            _check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(child_subreaper)")
        if "mount" in namespaces:
            build_root(config)
        return supervise(config, status_fd)
    except (OSError, SetupError) as error:
        os.write(status_fd, json.dumps({"error": str(error)}).encode() + b"\n")
        return 125


if __name__ == "__main__":
    sys.exit(main())
