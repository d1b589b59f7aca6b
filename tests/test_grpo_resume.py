"""A GRPO run killed mid-training picks up from its last checkpoint when relaunched with the same command.

GRPO runs for days on preemptible nodes; the README says a relaunch resumes. The run is SIGKILLed (no chance to save
anything on the way out) as soon as its first checkpoint is complete, then relaunched: it must continue at the
checkpoint's step, with the trainer state it saved, rather than start the schedule and the data over.
"""

import json
import os
import signal
import subprocess
import time

import pytest
from conftest import REPO_ROOT, entry_point_env, launch_command, run_entry_point, tiny_overrides


GRPO_RECIPE = "recipes/tiny/grpo/config_demo.yaml"

pytestmark = pytest.mark.slow


def test_a_killed_grpo_run_resumes_from_its_checkpoint(tiny_world, tmp_path):
    output_dir = tmp_path / "grpo"
    args = ["--config", GRPO_RECIPE, *tiny_overrides(tiny_world, output_dir, "grpo"), "--save_steps", "2"]
    process = subprocess.Popen(
        launch_command("grpo.py", *args, "--max_steps", "1000"),
        cwd=REPO_ROOT,
        env=entry_point_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill below reaches the launcher and the trainer
    )
    checkpoint = output_dir / "checkpoint-2" / "trainer_state.json"
    deadline = time.monotonic() + 240
    try:
        while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)
    assert checkpoint.exists(), "the first run never wrote checkpoint-2"
    assert not (output_dir / "model.safetensors").exists(), "the first run finished before it was killed"
    # The newest checkpoint whose state was written in full is the one a relaunch must pick.
    complete = [p for p in output_dir.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    last_step = max(int(p.name.split("-")[1]) for p in complete)
    saved = json.loads((output_dir / f"checkpoint-{last_step}" / "trainer_state.json").read_text())

    result = run_entry_point("grpo.py", *args, "--max_steps", str(last_step + 2), timeout=300)
    assert result.returncode == 0, result.stdout[-6000:]
    assert f"resuming training at {output_dir / f'checkpoint-{last_step}'}" in result.stdout
    assert f"Resuming training from checkpoint with epoch 0 and global step {last_step}" in result.stdout
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == last_step + 2
    # The history before the kill was carried over, and the relaunch trained only the steps that were left.
    steps = [entry["step"] for entry in state["log_history"] if "reward" in entry]
    assert steps == list(range(1, last_step + 3)), steps
    before = [entry for entry in state["log_history"] if "reward" in entry and entry["step"] <= last_step]
    assert before == [entry for entry in saved["log_history"] if "reward" in entry]
