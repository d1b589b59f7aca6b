"""The launchers under a real two-node Slurm cluster (slurm/test_cluster.sh), not just their dry runs.

Each test submits what a user submits, with sbatch, and waits for the job with a time bound. The cluster starts once
per session (the `slurm_cluster` fixture of conftest.py) and is skipped, with the reason, where it cannot run.
"""

import pytest


pytestmark = pytest.mark.slurm


def test_two_nodes_are_two_machines_with_fake_gpus(slurm_cluster, tmp_path):
    """Each node has its own hostname and address (a torch rendezvous needs that), and 8 GPUs as Slurm sees them."""
    out = tmp_path / "job.out"
    job = slurm_cluster.sbatch(
        "--nodes=2",
        "--gres=gpu:8",
        "--exclusive",
        f"--output={out}",
        "--wrap",
        "srun bash -c 'echo \"$SLURM_PROCID $(hostname) $(hostname -I) $CUDA_VISIBLE_DEVICES\"'",
    )
    state = slurm_cluster.wait(job, timeout=60)
    assert state["JobState"] == "COMPLETED", slurm_cluster.logs(job)
    lines = sorted(line.split() for line in out.read_text().splitlines())
    assert [line[:2] for line in lines] == [["0", "or1-node1"], ["1", "or1-node2"]], lines
    assert lines[0][2] != lines[1][2], "each node has its own address"
    assert all(line[3] == "0,1,2,3,4,5,6,7" for line in lines)
