"""The two-node Slurm test cluster of `slurm/test_cluster.sh`, driven from tests: submit with sbatch, wait, read logs.

The `slurm_cluster` session fixture (tests/conftest.py) starts the cluster once per test session and stops it at
the end; a test marked `slurm` asks for it and submits the real launchers:

    def test_something(slurm_cluster):
        job = slurm_cluster.sbatch("--nodes=2", "slurm/train.slurm", "--model", ...)
        state = slurm_cluster.wait(job, timeout=300)
        assert state["JobState"] == "COMPLETED", slurm_cluster.logs(job)
"""

import fcntl
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path


REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "slurm" / "test_cluster.sh"
NODES = ("or1-node1", "or1-node2")
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}
# Only one test cluster fits on a machine (one bridge, fixed node names): sessions that want one queue on this lock.
LOCK = os.environ.get("OPEN_R1_SLURM_LOCK", "/tmp/open-r1-slurm.lock")


def why_no_cluster() -> str | None:
    """The reason the test cluster cannot start here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the Slurm test cluster needs Linux (network namespaces)"
    if os.geteuid() != 0:
        return "the Slurm test cluster needs root (network namespaces, Slurm daemons): run the tests as root"
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        return "Slurm is not installed and there is no apt-get to install it (slurm-wlm, munge)"
    return None


class SlurmCluster:
    """A running test cluster: its config, and helpers to submit jobs and wait for them."""

    def __init__(self, state_dir: Path, env: dict[str, str]):
        self.state_dir = state_dir
        self.conf = state_dir / "etc" / "slurm.conf"
        self.env = dict(env, SLURM_CONF=str(self.conf))
        self.nodes = NODES

    def command(self, *argv: str, timeout: float = 30, check: bool = True) -> str:
        """Runs a Slurm client command (scontrol, squeue, ...) against this cluster; returns its stdout."""
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def sbatch(self, *args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> str:
        """Submits `sbatch ARGS` from the repository root (as users do) and returns the job id."""
        result = subprocess.run(
            ["sbatch", "--parsable", *args],
            env=dict(self.env, **(env or {})),
            capture_output=True,
            text=True,
            timeout=30,
            cwd=cwd,
        )
        if result.returncode != 0:
            raise RuntimeError(f"sbatch {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip().split(";")[0]

    def job(self, job_id: str) -> dict[str, str]:
        """`scontrol show job` as a dict (JobState, ExitCode, NodeList, StdOut, StdErr, Restarts, ...)."""
        fields = {}
        for word in self.command("scontrol", "show", "job", "--oneliner", job_id).split():
            key, _, value = word.partition("=")
            fields.setdefault(key, value)
        return fields

    def wait(self, job_id: str, timeout: float, until: set[str] = FINISHED) -> dict[str, str]:
        """Waits for the job to reach one of `until` (default: finished); cancels it and fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.job(job_id)
            if state.get("JobState") in until:
                return state
            if time.monotonic() > deadline:
                self.command("scancel", job_id, check=False)
                raise AssertionError(
                    f"job {job_id} still {state.get('JobState')} ({state.get('Reason')}) after {timeout:.0f}s; "
                    f"cancelled.\n{self.logs(job_id)[-20000:]}"
                )
            time.sleep(1)

    def wait_nodes_idle(self, timeout: float = 60) -> None:
        """Waits until no node is still running or cleaning up a job (a killed job's processes are gone)."""
        deadline = time.monotonic() + timeout
        while set(self.command("sinfo", "-h", "-N", "-o", "%T").split()) != {"idle"}:
            assert time.monotonic() < deadline, self.command("sinfo", "-N")
            time.sleep(0.5)

    def logs(self, job_id: str) -> str:
        """The job's stdout and stderr files (what a user reads to find out what happened)."""
        state = self.job(job_id)
        text = []
        for key in ("StdOut", "StdErr"):
            path = Path(state.get(key, ""))
            if path.is_file():
                text.append(f"--- {key} {path}\n{path.read_text(errors='replace')}")
        return "\n".join(text) or f"(no log files for job {job_id}: {state})"


# Written into the cluster's state folder by the test session that started it. Sessions hold LOCK while their cluster is
# up, so a session that holds LOCK and finds this file knows the session that wrote it ended without stopping it.
STARTED_BY_TESTS = "started_by_test_session"
STATUS_UP, STATUS_DOWN, STATUS_STALE = 0, 3, 4  # slurm/test_cluster.sh status's exit codes


def cluster_script(action: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Runs `slurm/test_cluster.sh ACTION` (up, down, status)."""
    return subprocess.run(["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=timeout)


def start_cluster(env: dict[str, str], state_dir: Path, wait_for_others: float = 900) -> None:
    """Starts the test cluster; the caller holds LOCK.

    A cluster someone started by hand (make slurm-up, without the lock) is waited for, up to `wait_for_others`
    seconds. What a killed test session left (its cluster still running, or stale namespaces and state with nothing
    running) is cleared at once: waiting for it would only burn the time limit of the run that comes next.
    """
    deadline = time.monotonic() + wait_for_others
    while True:
        status = cluster_script("status", env, timeout=60)
        if status.returncode in (STATUS_DOWN, STATUS_STALE):  # `up` clears stale leftovers itself
            break
        if (state_dir / STARTED_BY_TESTS).exists():
            down = cluster_script("down", env, timeout=120)
            if down.returncode != 0:
                raise RuntimeError(
                    f"clearing the cluster a killed test session left failed:\n{down.stdout}{down.stderr}"
                )
            continue
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"a Slurm test cluster started by hand has been up for {wait_for_others / 60:.0f} min: "
                "stop it with `make slurm-down`"
            )
        time.sleep(5)
    up = cluster_script("up", env)
    if up.returncode != 0:
        raise RuntimeError(f"slurm/test_cluster.sh up failed:\n{up.stdout}{up.stderr}")
    (state_dir / STARTED_BY_TESTS).write_text(f"{os.getpid()}\n")


@contextmanager
def running_cluster():
    """Starts the test cluster (waiting for one started by hand first) and always stops it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    state_dir = Path(env.get("OPEN_R1_SLURM_DIR", "/tmp/open-r1-slurm"))
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start_cluster(env, state_dir)
        try:
            yield SlurmCluster(state_dir, env)
        finally:
            down = cluster_script("down", env, timeout=120)
            if down.returncode != 0:
                raise RuntimeError(f"slurm/test_cluster.sh down failed:\n{down.stdout}{down.stderr}")
