"""Launching a command again on the output_dir of a run, as users do: its own finished run, another run's checkpoint.

A finished run relaunched trained one step past max_steps (SFT 21 of 20, GRPO 7 of 6), saved that checkpoint and
overwrote the final model; a command with another dataset on the same folder resumed the other run's checkpoint,
trained 0 steps and exited 0. Now the first says it is finished and exits 0, touching nothing, and the second stops
before loading anything, naming what differs.
"""

import hashlib
import json

import pytest
from conftest import run_entry_point, tiny_overrides


SFT_RECIPE = "recipes/tiny/sft/config_demo.yaml"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def finished_sft_run(tiny_world, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("rerun") / "sft"
    args = ["--config", SFT_RECIPE, *tiny_overrides(tiny_world, output_dir, "sft")]
    result = run_entry_point("sft.py", *args, launcher="python")
    assert result.returncode == 0, result.stdout[-4000:]
    return output_dir, args


def test_a_finished_run_relaunched_trains_nothing_and_keeps_its_model(finished_sft_run):
    output_dir, args = finished_sft_run
    model = digest(output_dir / "model.safetensors")
    checkpoints = sorted(p.name for p in output_dir.glob("checkpoint-*"))
    result = run_entry_point("sft.py", *args, launcher="python")
    assert result.returncode == 0, result.stdout[-4000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{output_dir} is already finished (step 20 of 20; model saved there)"), last
    assert "Loading weights" not in result.stdout and "***** Running training *****" not in result.stdout
    assert sorted(p.name for p in output_dir.glob("checkpoint-*")) == checkpoints  # no checkpoint-21
    assert digest(output_dir / "model.safetensors") == model
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 20


def test_another_dataset_on_the_same_output_dir_stops_before_loading(finished_sft_run, tiny_world, tmp_path):
    output_dir, args = finished_sft_run
    traces = tmp_path / "traces-sft.jsonl"  # another dataset: the README's stage-1 SFT on distilled traces
    traces.write_text((tiny_world / "sft.jsonl").read_text())
    model = digest(output_dir / "model.safetensors")
    result = run_entry_point("sft.py", *args, "--dataset_name", str(traces), launcher="python")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Traceback" not in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"sft.py: error: {output_dir} holds checkpoint-20 of another run (dataset_name: "), last
    assert f"there, {traces} now)" in last
    assert "Fix: pass a new --output_dir, or --resume_other_run true" in last and "--start_over true" in last
    assert "Loading weights" not in result.stdout
    assert digest(output_dir / "model.safetensors") == model


def test_raising_max_steps_continues_a_finished_run(finished_sft_run):
    output_dir, args = finished_sft_run
    result = run_entry_point("sft.py", *args, "--max_steps", "25", launcher="python")
    assert result.returncode == 0, result.stdout[-4000:]
    assert f"Checkpoint detected, resuming training at {output_dir / 'checkpoint-20'} (step 20 of 25)" in result.stdout
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 25
    # Each checkpoint carries the record of the run that saved it.
    assert json.loads((output_dir / "checkpoint-25" / "open_r1_run.json").read_text())["trainer"] == "SFTConfig"
