"""Done-when of the code rewards: GRPO on the tiny model with `code` + `code_format` on the local sandbox."""

import json

import pytest
from conftest import run_entry_point

from open_r1.utils.synthetic.tiny_code_data import build_tiny_code_dataset


CODE_RECIPE = "recipes/tiny/grpo/config_code.yaml"


@pytest.mark.slow
def test_grpo_trains_on_python_problems_with_the_local_sandbox(tiny_world, tmp_path):
    dataset = build_tiny_code_dataset(str(tmp_path / "code.jsonl"), rows=16)
    output_dir = tmp_path / "grpo_code"
    result = run_entry_point(
        "grpo.py",
        "--config",
        CODE_RECIPE,
        "--model_name_or_path",
        str(tiny_world / "model"),
        "--dataset_name",
        dataset,
        "--output_dir",
        str(output_dir),
        "--max_steps",
        "2",
    )
    assert result.returncode == 0, result.stdout[-6000:]
    # The machine was probed before the model loaded, and every guarantee of the sandbox holds here (or is named).
    assert "Sandbox isolation" in result.stdout
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    logged = [entry for entry in state["log_history"] if "reward" in entry]
    assert logged and all("rewards/code_reward/mean" in entry for entry in logged)
    assert all("rewards/code_format_reward/mean" in entry for entry in logged)
