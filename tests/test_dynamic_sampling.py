"""DAPO's dynamic sampling through grpo.py (`dynamic_sampling: true`): only groups whose rewards differ reach the loss,
all ranks train on the same batch, a run that gives up says so, and a preempted run resumes to the same batches.

The runs use tests/dynamic_sampling_probe.py: grpo.py's `main()` with a reward that is flat on problems marked
`(flat)` and spread on the others, and a record of every row that reached the loss, per rank and step.
"""

import json
import shutil
import socket
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ACCELERATE, run_command, tiny_overrides


pytestmark = pytest.mark.slow

PROBE = "tests/dynamic_sampling_probe.py"
NUM_GENERATIONS = 4
PER_DEVICE_BATCH = 8  # 2 groups per rank and step


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dataset(path: Path, flat_share: float) -> Path:
    """32 arithmetic problems, the first `flat_share` of them marked `(flat)` (every completion scores the same)."""
    flat = int(32 * flat_share)
    with open(path, "w") as file:
        for i in range(32):
            marker = " (flat)" if i < flat else ""
            row = {"problem": f"What is {i} + 1?{marker}", "solution": f"{i + 1}", "answer": f"{i + 1}"}
            file.write(json.dumps(row) + "\n")
    return path


def _launch(tiny_world: Path, output_dir: Path, dataset: Path, *extra: str, processes: int = 2):
    command = [
        ACCELERATE, "launch", "--config_file", "recipes/accelerate_configs/ddp.yaml", "--num_processes", str(processes),
        "--main_process_port", str(_free_port()), PROBE,
        "--config", "recipes/tiny/grpo/config_demo.yaml", *tiny_overrides(tiny_world, output_dir, "grpo"),
        "--dataset_name", str(dataset), "--reward_funcs", "accuracy", "--reward_weights", "1.0",
        "--dynamic_sampling", "true", "--num_generations", str(NUM_GENERATIONS),
        "--per_device_train_batch_size", str(PER_DEVICE_BATCH), "--max_completion_length", "12",
        "--save_strategy", "steps", "--save_steps", "2", *extra,
    ]  # fmt: skip
    return run_command(command, timeout=400)


def _loss_rows(output_dir: Path) -> list[dict]:
    rows = []
    for path in sorted(output_dir.glob("loss_rows.rank*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines()]
    return rows


def _logged(output_dir: Path) -> list[dict]:
    state = json.loads((output_dir / "trainer_state.json").read_text())
    return [entry for entry in state["log_history"] if "dynamic_sampling/generation_batches" in entry]


@pytest.fixture(scope="module")
def half_flat(tiny_world, tmp_path_factory):
    """Two ranks, 4 steps, on data where half the problems give no signal."""
    root = tmp_path_factory.mktemp("dynamic_sampling")
    dataset = _dataset(root / "half_flat.jsonl", flat_share=0.5)
    output_dir = root / "run"
    result = _launch(tiny_world, output_dir, dataset, "--max_steps", "4")
    assert result.returncode == 0, result.stdout[-6000:]
    return dataset, output_dir


def test_no_group_without_reward_spread_reaches_the_loss(half_flat):
    _, output_dir = half_flat
    rows = _loss_rows(output_dir)
    assert {(row["rank"], row["step"]) for row in rows} == {(rank, step) for rank in (0, 1) for step in (1, 2, 3, 4)}
    for row in rows:
        assert len(row["prompts"]) == PER_DEVICE_BATCH  # the batch stays full
        assert not [p for p in row["prompts"] if "(flat)" in p], row["prompts"]
        assert any(abs(a) > 0.1 for a in row["advantages"])
    logged = _logged(output_dir)
    assert [entry["step"] for entry in logged] == [1, 2, 3, 4]
    # Half the groups are flat, so some were dropped and more batches were generated to replace them.
    assert sum(entry["dynamic_sampling/groups_dropped"] for entry in logged) > 0
    assert max(entry["dynamic_sampling/generation_batches"] for entry in logged) > 1
    assert all(entry["dynamic_sampling/groups_without_signal_trained"] == 0 for entry in logged)
    for entry in logged:
        batches = entry["dynamic_sampling/generation_batches"]
        assert entry["dynamic_sampling/completions_generated"] == batches * 2 * PER_DEVICE_BATCH


def test_the_ranks_train_on_whole_groups_of_one_batch(half_flat):
    """Each prompt's completions are split between the ranks as trl lays out a group, never half dropped."""
    _, output_dir = half_flat
    rows = _loss_rows(output_dir)
    for step in (1, 2, 3, 4):
        prompts = Counter(p for row in rows if row["step"] == step for p in row["prompts"])
        assert sum(prompts.values()) == 2 * PER_DEVICE_BATCH
        assert all(count % NUM_GENERATIONS == 0 for count in prompts.values()), prompts
        # trl divides the loss by the completion tokens of the whole batch, on every rank alike
        step_rows = [row for row in rows if row["step"] == step]
        assert len({row["num_items_in_batch"] for row in step_rows}) == 1
        assert step_rows[0]["num_items_in_batch"] == sum(row["completion_tokens"] for row in step_rows)


def test_a_preempted_run_resumes_to_the_same_batches(half_flat, tiny_world, tmp_path):
    """What a job preempted after its step-2 checkpoint leaves (that checkpoint and the run's record), relaunched:
    steps 3 and 4 train on the uninterrupted run's batches, prompt for prompt, on both ranks (the extra prompts of a
    step are drawn from the seed, the step and the round, not from a generator the checkpoint would have to hold)."""
    dataset, reference_dir = half_flat
    output_dir = tmp_path / "run"
    output_dir.mkdir()
    shutil.copytree(reference_dir / "checkpoint-2", output_dir / "checkpoint-2")
    shutil.copy(reference_dir / "open_r1_run.json", output_dir)
    resumed = _launch(tiny_world, output_dir, dataset, "--max_steps", "4")
    assert resumed.returncode == 0, resumed.stdout[-6000:]
    assert f"resuming training at {output_dir / 'checkpoint-2'}" in resumed.stdout

    def prompts_per_step(rows):
        return {(row["rank"], row["step"]): row["prompts"] for row in rows}

    reference = prompts_per_step(row for row in _loss_rows(reference_dir) if row["step"] > 2)
    assert prompts_per_step(_loss_rows(output_dir)) == reference
    assert len(reference) == 4  # 2 ranks x steps 3 and 4


def test_a_step_that_finds_no_spread_fills_the_batch_and_says_so(tiny_world, tmp_path):
    dataset = _dataset(tmp_path / "flat.jsonl", flat_share=1.0)
    output_dir = tmp_path / "run"
    result = _launch(
        tiny_world, output_dir, dataset, "--max_steps", "1", "--dynamic_sampling_max_gen_batches", "3", processes=1
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "found 0 of 2 groups with different rewards in 3 generation batches" in result.stdout
    (entry,) = _logged(output_dir)
    assert entry["dynamic_sampling/generation_batches"] == 3
    assert entry["dynamic_sampling/groups_without_signal_trained"] == 2
    assert entry["dynamic_sampling/groups_dropped"] == 3 * 2 - 2
    (row,) = _loss_rows(output_dir)
    assert len(row["prompts"]) == PER_DEVICE_BATCH and all(a == 0 for a in row["advantages"])


def test_a_metric_that_is_not_a_reward_of_the_recipe_stops_before_the_model_loads(tiny_world, tmp_path):
    result = run_command(
        [sys.executable, "src/open_r1/grpo.py", "--config", "recipes/tiny/grpo/config_demo.yaml",
         *tiny_overrides(tiny_world, tmp_path / "run", "grpo"), "--dynamic_sampling", "true",
         "--dynamic_sampling_metric", "acuracy"],
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "dynamic_sampling_metric 'acuracy' is not one of `reward_funcs` ['accuracy', 'format', 'length']" in (
        result.stdout
    )
    assert "Traceback" not in result.stdout
