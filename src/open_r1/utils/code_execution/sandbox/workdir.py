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
"""The caller's hands in a session's work dir, which a program has had its way with: make it (as root, a tmpfs of its
own, bounded in bytes and inodes), write and read files there without following a link the program left, and remove
it whatever is in it (a chain of directories thousands deep, FIFOs, links, directories it made unreadable).

Every path is opened one component at a time relative to a directory descriptor, with O_NOFOLLOW: a link the program
made never takes the caller (root) outside the work dir, and no path grows past PATH_MAX however deep it goes.
"""

import ctypes
import errno
import os
import stat


MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

_libc = ctypes.CDLL(None, use_errno=True)


def mount_tmpfs(path: str, size_mb: int, max_files: int, uid: int) -> None:
    """A tmpfs of `size_mb` and `max_files` inodes at `path`, owned by `uid`: the program fills it, not the host's disk."""
    options = f"size={size_mb}m,nr_inodes={max_files},mode=0700,uid={uid},gid={uid}".encode()
    if _libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount a tmpfs at {path}: {os.strerror(error)}")


def unmount(path: str) -> None:
    if _libc.umount2(path.encode(), MNT_DETACH) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unmount {path}: {os.strerror(error)}")


def _parent_fd(work_dir: str, name: str, create: bool) -> tuple[int, str]:
    """A descriptor of the directory that holds `name` (relative to `work_dir`), reached without following links."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"{name!r} is not a path inside the work dir")
    fd = os.open(work_dir, _DIRECTORY)
    try:
        for part in parts[:-1]:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            child = os.open(part, _DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1]


def write_file(work_dir: str, name: str, content: bytes, uid: int | None, mode: int = 0o644) -> None:
    fd, leaf = _parent_fd(work_dir, name, create=True)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        out = os.open(leaf, flags, mode, dir_fd=fd)
        try:
            if not stat.S_ISREG(os.fstat(out).st_mode):
                raise OSError(errno.EINVAL, f"{name} in the work dir is not a regular file")
            view = memoryview(content)
            while view:
                view = view[os.write(out, view) :]
            if uid is not None:
                os.fchown(out, uid, uid)
        finally:
            os.close(out)
    finally:
        os.close(fd)


def read_file(work_dir: str, name: str, max_bytes: int) -> bytes:
    """At most `max_bytes` of a regular file (FileNotFoundError for a link, a FIFO, a device or nothing)."""
    fd, leaf = _parent_fd(work_dir, name, create=False)
    try:
        try:
            handle = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise FileNotFoundError(f"{name} in the work dir is a link") from error
            raise
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise FileNotFoundError(f"{name} in the work dir is not a regular file")
            chunks, left = [], max_bytes
            while left > 0 and (chunk := os.read(handle, min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(handle)
    finally:
        os.close(fd)


def _open_directory(name: str, dir_fd: int) -> int:
    try:
        return os.open(name, _DIRECTORY, dir_fd=dir_fd)
    except PermissionError:  # a directory the program made unreadable (mode none: the caller has its uid)
        os.chmod(name, 0o700, dir_fd=dir_fd)  # it is a directory (checked), and nothing renames it any more
        return os.open(name, _DIRECTORY, dir_fd=dir_fd)


def _clear(fd: int) -> list[str]:
    """Removes what the directory `fd` holds, except the directories that are not empty: their names."""
    try:
        os.fchmod(fd, 0o700)  # the program may have made it unwritable
    except OSError:
        pass
    full = []
    for name in os.listdir(fd):
        try:
            if not stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                os.unlink(name, dir_fd=fd)  # files, links, FIFOs, sockets: never opened
                continue
            os.rmdir(name, dir_fd=fd)
        except FileNotFoundError:
            continue
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            full.append(name)
    return full


def remove_tree(path: str) -> None:
    """Removes `path` and everything under it, iteratively (no recursion, one open directory at a time, each listed
    once), following no link and opening nothing but directories. Only for a tree no process writes to any more;
    raises OSError."""
    try:
        fd = os.open(path, _DIRECTORY)
    except FileNotFoundError:
        return
    names: list[str] = []  # the way down from `path` to the directory `fd` holds
    waiting: list[list[str]] = []  # per level above, the directories still to empty
    try:
        todo = _clear(fd)
        while True:
            if todo:
                name = todo.pop()
                try:
                    child = _open_directory(name, fd)
                except FileNotFoundError:
                    continue
                os.close(fd)
                fd = child
                names.append(name)
                waiting.append(todo)
                todo = _clear(fd)
                continue
            if not names:
                break
            parent = os.open("..", _DIRECTORY, dir_fd=fd)  # `fd` is empty now
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
            todo = waiting.pop()
    finally:
        os.close(fd)
    os.rmdir(path)
