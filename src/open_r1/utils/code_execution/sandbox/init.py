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

Run as its own process by `runner.py` (`python3 -I -S /dev/fd/SCRIPT_FD CONFIG_FD`: its source and its JSON
configuration come on file descriptors, so neither host paths nor the program travel in any argv), never imported:
it uses only the standard library and ctypes (libseccomp through ctypes), so it starts in a few milliseconds and
runs whatever the caller's packages are.

    outer init (caller's pid namespace)          -- joins the run's cgroups, unshare(user?, mount, net, pid, ipc,
                                                    uts), then fork; reports pid 1's host pid
      pid 1 of the new pid namespace             -- builds the new root, pivots into it, reaps, reports on STATUS_FD
        the program (unprivileged uid, rlimits)  -- setsid, rlimits, drop uid/gid/caps, a fresh session keyring,
                                                    no_new_privs, the syscall filter, exec

The caller kills the outer init's process group at its wall-clock deadline; pid 1 has PDEATHSIG=SIGKILL, and when
pid 1 of a pid namespace dies the kernel kills every process in it (pid 1's exit completes only once they are all
gone, which the caller waits for). Every step that fails is reported as {"error": ...} on the status pipe (the
program is never run without the isolation that was asked for: the caller decides about fallbacks, once, when it
probes the machine).
"""

import ctypes
import errno
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
KEYCTL_SYSCALL = {"x86_64": 250, "aarch64": 219, "riscv64": 219}
KEYCTL_JOIN_SESSION_KEYRING = 1
# What a judged program has no use for, and each a way into the kernel: keyrings (keys cross uids and runs), new
# namespaces (a user namespace gives full capabilities over fresh kernel objects: netfilter, mounts, ...), mounts,
# tracing other processes, BPF, perf, io_uring, userfaultfd (a tool of kernel exploits), modules, kexec, clocks,
# swap, quotas, reboot. Each fails with EPERM; clone with a namespace flag too, and clone3 with ENOSYS (its flags
# sit in memory a filter cannot read), on which the C library falls back to clone.
DENIED_SYSCALLS = (
    "keyctl add_key request_key unshare setns mount umount2 pivot_root chroot move_mount open_tree fsopen fsconfig "
    "fsmount fspick mount_setattr ptrace process_vm_readv process_vm_writev pidfd_getfd kcmp bpf perf_event_open "
    "io_uring_setup io_uring_enter io_uring_register userfaultfd init_module finit_module delete_module kexec_load "
    "kexec_file_load reboot swapon swapoff acct quotactl quotactl_fd syslog lookup_dcookie open_by_handle_at "
    "name_to_handle_at iopl ioperm settimeofday clock_settime clock_adjtime adjtimex vhangup personality uselib "
    "fanotify_init nfsservctl"
).split()
NEW_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7


def _scmp_act_errno(errno: int) -> int:
    return 0x00050000 | (errno & 0xFFFF)


class _ScmpArgCmp(ctypes.Structure):  # libseccomp's struct scmp_arg_cmp
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


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


def _set_oom_score_adj(value: int) -> None:
    try:
        _write("/proc/self/oom_score_adj", str(value))
    except OSError:  # an unprivileged init may only raise it: then the kernel may pick the init too
        pass


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
    inodes = config.get("max_files", 10000)
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,nr_inodes={inodes},mode=1777")
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


def load_libseccomp() -> ctypes.CDLL:
    """libseccomp (through ctypes: the init imports nothing outside the standard library), loaded first, so that
    a missing one is a setup error before anything runs."""
    try:
        seccomp = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as error:
        raise SetupError(f"libseccomp is not installed (the syscall filter needs it): {error}") from error
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ScmpArgCmp),
    ]
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
    seccomp.seccomp_release.argtypes = [ctypes.c_void_p]
    return seccomp


def _scmp_check(result: int, what: str) -> None:
    if result < 0:  # libseccomp returns -errno
        raise SetupError(f"seccomp {what}: {os.strerror(-result)} (errno {-result})")


def load_syscall_filter(seccomp: ctypes.CDLL) -> None:
    """Builds the filter with libseccomp (allow by default, EPERM for DENIED_SYSCALLS and for clone with a namespace
    flag, ENOSYS for clone3) and loads it: it binds this process and everything it starts, for good."""
    ctx = seccomp.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise SetupError("seccomp_init failed")
    try:
        for name in DENIED_SYSCALLS:
            number = seccomp.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a system call of this architecture
                continue
            _scmp_check(seccomp.seccomp_rule_add_array(ctx, _scmp_act_errno(errno.EPERM), number, 0, None), name)
        clone = seccomp.seccomp_syscall_resolve_name(b"clone")
        for flag in NEW_NAMESPACE_FLAGS:
            condition = _ScmpArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag)
            _scmp_check(
                seccomp.seccomp_rule_add_array(ctx, _scmp_act_errno(errno.EPERM), clone, 1, condition), "clone"
            )
        clone3 = seccomp.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            _scmp_check(seccomp.seccomp_rule_add_array(ctx, _scmp_act_errno(errno.ENOSYS), clone3, 0, None), "clone3")
        _scmp_check(seccomp.seccomp_load(ctx), "seccomp_load")
    finally:
        seccomp.seccomp_release(ctx)


def join_fresh_session_keyring() -> None:
    """A new, empty session keyring of the program's own: the caller's (an SSH login's, with its tokens) is gone."""
    number = KEYCTL_SYSCALL.get(os.uname().machine)
    if number is None:
        raise SetupError(f"no keyctl system call number known for {os.uname().machine}")
    if libc.syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None) < 0 and ctypes.get_errno() != 38:  # ENOSYS: no keys
        _check(-1, "keyctl(join session keyring)")


def exec_program(config: dict, status_fd: int, seccomp: ctypes.CDLL | None) -> None:
    """In the forked child: limits, identity, then exec. Never returns. A step of the isolation that fails is
    reported on the status pipe (a sandbox error); a program that cannot be started is the program's failure."""
    try:
        os.set_inheritable(status_fd, False)  # closed by the exec: the program never holds it
        os.setsid()  # its own process group: the fallback mode kills the group
        limits = config["rlimits"]
        for name, value in limits.items():
            resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), tuple(value))
        # The program and its children are what the kernel kills first, for the run's memory or the machine's
        # (raising it needs no privilege; lowering it again does).
        _set_oom_score_adj(1000)
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
        if config.get("fresh_keyring"):
            join_fresh_session_keyring()
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(no_new_privs)")
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.chdir(config["cwd"])
    except BaseException as error:  # noqa: BLE001 - report whatever stopped the isolation, then die
        _fail(status_fd, f"isolating the program: {error}")
    try:
        program = _which(config["argv"][0], config["env"].get("PATH", ""))
    except BaseException as error:  # noqa: BLE001
        os.write(2, f"sandbox: cannot start {config['argv'][0]!r}: {error}\n".encode())
        os._exit(127)
    try:
        if seccomp is not None:  # last: it also forbids what the steps above needed (unshare, keyctl)
            load_syscall_filter(seccomp)
    except BaseException as error:  # noqa: BLE001
        _fail(status_fd, f"loading the syscall filter: {error}")
    try:
        os.execve(program, config["argv"], config["env"])
    except BaseException as error:  # noqa: BLE001
        os.write(2, f"sandbox: cannot start {config['argv'][0]!r}: {error}\n".encode())
        os._exit(127)


def _fail(status_fd: int, message: str) -> None:
    try:
        os.write(status_fd, json.dumps({"error": message}).encode() + b"\n")
    finally:
        os._exit(125)


def supervise(config: dict, status_fd: int, seccomp: ctypes.CDLL | None) -> int:
    """Fork the program, reap everything until it ends, report its status. Returns the init's exit code."""
    child = os.fork()
    if child == 0:
        exec_program(config, status_fd, seccomp)
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


def _read_config(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks))


def main() -> int:
    config = _read_config(int(sys.argv[1]))
    status_fd = config["status_fd"]
    namespaces = config["namespaces"]
    try:
        os.close(config["script_fd"])
        for procs in config.get("cgroup_procs", ()):  # every process of the run, in the run's cgroups
            _write(procs, str(os.getpid()))
        if config.get("cgroup_procs"):  # when the run is over its memory, the kernel kills the program, not us
            _set_oom_score_adj(-1000)  # where the host lets us (CAP_SYS_RESOURCE); the program's is 1000 anyway
        seccomp = load_libseccomp() if config.get("syscall_filter") else None
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
                # The caller waits for pid 1's end: it comes only after every process of the namespace is gone.
                os.write(status_fd, json.dumps({"pid1": pid1}).encode() + b"\n")
                _, status = os.waitpid(pid1, 0)
                return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 125
            # Dies with the outer init; the caller's killpg reaches it too (same process group).
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if "pid" not in namespaces:  # orphans of the program come back to this init, which reaps them
            _check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(child_subreaper)")
        if "mount" in namespaces:
            build_root(config)
        return supervise(config, status_fd, seccomp)
    except (OSError, SetupError) as error:
        os.write(status_fd, json.dumps({"error": str(error)}).encode() + b"\n")
        return 125


if __name__ == "__main__":
    sys.exit(main())
