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
"""One cgroup per sandbox run: a bound on the run's total memory (shared memory, memfd and tmpfs pages included),
on its processes whatever uid or session they are in, and one CPU share for the whole run, however many sessions
its processes make (the kernel's autogroups give each `setsid` a share of its own otherwise).

cgroup v1 where the host mounts the `memory`, `pids` and `cpu` controllers (this project's CI machine), cgroup v2
where it has the unified hierarchy with those controllers available to the caller's cgroup. Run cgroups are made
inside the caller's own cgroup, so the trainer's limits still bind its programs. `detect()` says which works here
(None: the guarantees that rest on it are reported missing); the init joins the run's cgroups before anything else.
"""

import functools
import os
import signal
import time
from dataclasses import dataclass


CONTROLLERS = ("memory", "pids", "cpu")
_REMOVE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CgroupSupport:
    version: int  # 1 or 2
    parents: tuple[tuple[str, str], ...]  # (controller, directory where run cgroups are made); v2: one ("", dir)


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(root, mount point, fstype, super options) of every cgroup mount."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            separator = fields.index("-")
            fstype, options = fields[separator + 1], set(fields[separator + 3].split(","))
            if fstype in ("cgroup", "cgroup2"):
                found.append((fields[3], fields[4], fstype, options))
    return found


def _own_cgroups() -> dict[str, str]:
    """controller -> this process's cgroup path ("" for the v2 hierarchy)."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _directory(mount_root: str, mount_point: str, path: str) -> str | None:
    if not (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        return None  # our cgroup is outside what this mount shows
    return os.path.join(mount_point, path[len(mount_root) :].lstrip("/"))


def _writable(directory: str) -> bool:
    probe = os.path.join(directory, f"open-r1-sandbox-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
        os.rmdir(probe)
        return True
    except OSError:
        return False


def detect() -> CgroupSupport | None:
    """Where run cgroups can be made here, or None."""
    try:
        mounts, own = _mounts(), _own_cgroups()
    except OSError:
        return None
    v1 = {}
    for root, point, fstype, options in mounts:
        for controller in CONTROLLERS:
            if fstype == "cgroup" and controller in options and controller in own:
                directory = _directory(root, point, own[controller])
                if directory and _writable(directory):
                    v1[controller] = directory
    if set(v1) == set(CONTROLLERS):
        return CgroupSupport(1, tuple(sorted(v1.items())))
    for root, point, fstype, _ in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        directory = _directory(root, point, own[""])
        try:
            with open(os.path.join(directory, "cgroup.subtree_control")) as f:
                enabled = set(f.read().split())
        except (OSError, TypeError):
            continue
        if set(CONTROLLERS) <= enabled and _writable(directory):
            return CgroupSupport(2, (("", directory),))
    return None


@functools.cache
def detect_cached() -> CgroupSupport | None:
    return detect()


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


class RunCgroup:
    """The cgroup(s) of one run, made with its limits; `close()` waits until every process in it is gone (killing
    what is left) and removes it."""

    def __init__(self, support: CgroupSupport, name: str, memory_bytes: int, max_processes: int):
        self.version = support.version
        self.directories: list[str] = []
        try:
            for controller, parent in support.parents:
                directory = os.path.join(parent, name)
                os.mkdir(directory)
                self.directories.append(directory)
                if self.version == 2:
                    _write(os.path.join(directory, "memory.max"), str(memory_bytes))
                    if os.path.exists(os.path.join(directory, "memory.swap.max")):
                        _write(os.path.join(directory, "memory.swap.max"), "0")
                    _write(os.path.join(directory, "pids.max"), str(max_processes))
                elif controller == "memory":
                    _write(os.path.join(directory, "memory.limit_in_bytes"), str(memory_bytes))
                    memsw = os.path.join(directory, "memory.memsw.limit_in_bytes")
                    if os.path.exists(memsw):  # swap is memory too
                        _write(memsw, str(memory_bytes))
                elif controller == "pids":
                    _write(os.path.join(directory, "pids.max"), str(max_processes))
                # cpu: the default weight; a group of its own is the point (one share per run, not per session)
        except BaseException:
            self.close()
            raise

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.directories]

    def _pids(self) -> set[int]:
        pids: set[int] = set()
        for path in self.procs_files:
            try:
                with open(path) as f:
                    pids.update(int(line) for line in f.read().split())
            except (OSError, ValueError):
                pass
        return pids

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of this run for going over the run's memory."""
        for directory in self.directories:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    with open(os.path.join(directory, name)) as f:
                        for line in f:
                            key, _, value = line.partition(" ")
                            if key == "oom_kill" and int(value) > 0:
                                return True
                except (OSError, ValueError):
                    continue
        return False

    def kill(self, sparing: int, timeout_s: float = 2.0) -> None:
        """Kills every process of the run but `sparing` (the init that reaps them), until none is left."""
        deadline = time.monotonic() + timeout_s
        while (pids := self._pids() - {sparing}) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.002)

    def close(self, timeout_s: float = _REMOVE_TIMEOUT_S) -> bool:
        """Kills every process left in the run's cgroups, waits until none is left, removes them. False (and the
        cgroups left in place) if processes were still there after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        kill_file = self.directories and os.path.join(self.directories[0], "cgroup.kill")
        while self.directories:
            pids = self._pids()
            if not pids:
                for directory in list(self.directories):
                    try:
                        os.rmdir(directory)
                        self.directories.remove(directory)
                    except FileNotFoundError:
                        self.directories.remove(directory)
                    except OSError:
                        pass  # EBUSY for a moment after the last exit
                if not self.directories:
                    return True
            elif self.version == 2 and kill_file and os.path.exists(kill_file):
                _write(kill_file, "1")  # the kernel kills them all, no pid read and reused in between
            else:
                # cgroup v1: kill by pid, as systemd does. A pid read here belongs to the run: only an exit of that
                # process between the read and the kill could free it for reuse, which a wrap of the pid space needs.
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True
