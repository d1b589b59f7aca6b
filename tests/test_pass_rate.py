"""scripts/pass_rate_filtering/compute_pass_rate.py: pass rates from real rewards, the band filter, the CPU path."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, entry_point_env
from datasets import Dataset
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments
from open_r1.utils.data import load_dataset_any
from open_r1.utils.recipe_parser import OpenR1Parser


sys.path.insert(0, str(REPO_ROOT / "scripts" / "pass_rate_filtering"))
from compute_pass_rate import PassRateArguments, compute_pass_rates, in_band, pick_backend  # noqa: E402


SCRIPT = "scripts/pass_rate_filtering/compute_pass_rate.py"
CLASSES = (PassRateArguments, GRPOScriptArguments, GRPOConfig, ModelConfig)
FILTER_RECIPES = sorted((REPO_ROOT / "recipes" / "dataset_filtering").glob("*.yaml"))


def test_pass_rate_is_the_mean_accuracy_and_the_band_is_closed():
    from open_r1.rewards import accuracy_reward

    k = 4
    dataset = Dataset.from_dict(
        {
            "problem": [f"What is {i} + 0?" for i in range(k + 1)] + ["Unjudgeable"],
            "solution": [f"$\\boxed{{{i}}}$" for i in range(k + 1)] + ["no answer here"],
        }
    )

    def generate(conversations):  # row i: i right answers out of k, then wrong ones
        assert conversations[0][0] == {"role": "system", "content": "SYS"}
        groups = []
        for conversation in conversations:
            problem = conversation[-1]["content"]
            right = int(problem.split()[2]) if problem[0] == "W" else 0
            groups.append([f"\\boxed{{{right if j < right else right + 1}}}" for j in range(k)])
        return groups

    scored = compute_pass_rates(dataset, generate, [accuracy_reward], [1.0], k, "problem", "SYS", batch_size=2)
    assert scored["pass_rate"][: k + 1] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert scored["pass_rate_rewards"][1] == [1.0, 0.0, 0.0, 0.0]
    assert scored["pass_rate"][-1] is None  # an unparseable gold is skipped, not counted as a failure
    assert all(len(g) == k for g in scored["pass_rate_generations"])
    kept = [rate for rate in scored["pass_rate"] if in_band(rate, 0.25, 0.75)]
    assert kept == [0.25, 0.5, 0.75]


def test_wrong_number_of_generations_is_an_error():
    dataset = Dataset.from_dict({"problem": ["a"], "solution": ["$\\boxed{1}$"]})
    with pytest.raises(RuntimeError, match="not 4 each"):
        compute_pass_rates(dataset, lambda c: [["x"]], [lambda **kw: [0.0]], [1.0], 4, "problem", None, 8)


@pytest.mark.parametrize("path", FILTER_RECIPES, ids=[p.name for p in FILTER_RECIPES])
def test_filter_recipes_parse_with_the_script_classes(path):
    args, script_args, training_args, _ = OpenR1Parser(CLASSES).parse_args_and_config(["--config", str(path)])
    assert 0 <= args.pass_rate_min <= args.pass_rate_max <= 1 and args.output_dataset_name
    assert training_args.num_generations >= 2 and script_args.reward_funcs


def test_bad_filter_options_are_rejected(tmp_path):
    recipe = tmp_path / "bad.yaml"
    text = (REPO_ROOT / "recipes" / "dataset_filtering" / "config_tiny.yaml").read_text()
    recipe.write_text(
        text.replace("pass_rate_max: 1.0", "pass_rate_max: 0.5").replace("pass_rate_min: 0.0", "pass_rate_min: 0.7")
    )
    with pytest.raises(ValueError, match="pass_rate_min <= pass_rate_max"):
        OpenR1Parser(CLASSES).parse_args_and_config(["--config", str(recipe)])
    recipe.write_text(text.replace("pass_rate_min:", "pass_rate_mni:"))
    with pytest.raises(ValueError, match="pass_rate_mni.*did you mean pass_rate_min"):
        OpenR1Parser(CLASSES).parse_args_and_config(["--config", str(recipe)])


def test_vllm_is_only_picked_where_it_can_run():
    try:
        import torch
        import vllm  # noqa: F401

        expected = "vllm" if torch.cuda.is_available() else "transformers"
    except ImportError:
        expected = "transformers"
    assert pick_backend("auto") == expected
    assert pick_backend("transformers") == "transformers"


def test_tiny_recipe_runs_end_to_end_on_cpu(tiny_world, tmp_path):
    output = tmp_path / "pass_rate"
    command = [
        sys.executable, SCRIPT, "--config", "recipes/dataset_filtering/config_tiny.yaml",
        "--model_name_or_path", str(tiny_world / "model"), "--dataset_name", str(tiny_world / "grpo.jsonl"),
        "--output_dataset_name", str(output), "--dataset_end_index", "6", "--num_generations", "4",
        "--max_completion_length", "12", "--pass_rate_max", "0.0",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, env=entry_point_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    scored = load_dataset_any(str(output / "gen-0-6"))
    kept = load_dataset_any(str(output / "filt-0.0-0.0-0-6"))
    assert len(scored) == 6 and scored.column_names[:3] == ["problem", "solution", "answer"]
    for row in scored:
        assert len(row["pass_rate_generations"]) == 4 and set(row["pass_rate_rewards"]) <= {0.0, 1.0}
        assert row["pass_rate"] == pytest.approx(sum(row["pass_rate_rewards"]) / 4)
    assert sorted(kept["problem"]) == sorted(r["problem"] for r in scored if r["pass_rate"] == 0.0)
    assert "Generating x4 and scoring" in result.stderr  # the progress bar
    assert f"Kept {len(kept)} of 6 problems" in result.stdout


def test_missing_output_is_a_config_error():
    with pytest.raises(ValueError, match="output_dataset_name"):
        PassRateArguments()
    assert Path(SCRIPT).name == "compute_pass_rate.py"
