"""A mistake in the command line or the recipe ends in one line, in about a second, before torch is imported.

The entry points check their inputs first (src/open_r1/preflight.py): the recipe exists and is YAML, the local
dataset and model exist, the rewards are registered. Each failure is the project's message as the only line, with the
nearest existing names, and exit status 1; `OPEN_R1_DEBUG=1` shows the traceback.
"""

import subprocess
import sys

import pytest
from conftest import REPO_ROOT, entry_point_env


SFT_RECIPE = "recipes/tiny/sft/config_demo.yaml"
GRPO_RECIPE = "recipes/tiny/grpo/config_demo.yaml"


ENV_WITHOUT_TORCH: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _torch_fails_to_import(env_without_torch):
    ENV_WITHOUT_TORCH.update(env_without_torch)


def run(script: str, *args: str, env: dict | None = None):
    return subprocess.run(
        [sys.executable, f"src/open_r1/{script}", *args],
        cwd=REPO_ROOT,
        env=env or ENV_WITHOUT_TORCH,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_failure(script: str, *args: str) -> str:
    # torch alone takes 2-30 s to import on this kind of machine: here its import fails, so a check made after it
    # would end in that ImportError instead of the message asserted below.
    result = run(script, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{script}: error: ")
    return lines[0].removeprefix(f"{script}: error: ")


@pytest.fixture
def tiny(tiny_world):
    return ["--model_name_or_path", str(tiny_world / "model"), "--output_dir", "/nonexistent/out"]


def test_a_missing_recipe_names_the_nearest_one(tiny):
    message = one_line_failure("sft.py", "--config", "recipes/tiny/sft/config_dem.yaml", *tiny)
    assert message == (
        "Recipe recipes/tiny/sft/config_dem.yaml does not exist (passed with --config). "
        "Did you mean recipes/tiny/sft/config_demo.yaml?"
    )


def test_a_yaml_error_names_the_file_and_the_line(tmp_path, tiny):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("model_name_or_path: data/tiny/model\ndataset_name: [a\nlearning_rate: 1\n")
    message = one_line_failure("sft.py", "--config", str(recipe), *tiny)
    assert message == (
        f"Recipe {recipe} is not valid YAML: line 3, column 14: expected ',' or ']', but got ':' (while parsing a "
        "flow sequence that starts at line 2, column 15)."
    )


def test_a_missing_dataset_file_names_the_nearest_ones(tiny_world, tiny):
    message = one_line_failure(
        "sft.py", "--config", SFT_RECIPE, *tiny, "--dataset_name", str(tiny_world / "stf.jsonl")
    )
    assert message == f"Dataset {tiny_world / 'stf.jsonl'} does not exist. Did you mean {tiny_world / 'sft.jsonl'}?"


def test_a_missing_mixture_dataset_is_found_too(tiny_world, tiny):
    mixture = f'{{"datasets": [{{"id": "{tiny_world / "sft.jsonl"}"}}, {{"id": "{tiny_world / "gone.jsonl"}"}}]}}'
    message = one_line_failure("sft.py", "--config", SFT_RECIPE, *tiny, "--dataset_mixture", mixture)
    assert message.startswith(f"Dataset {tiny_world / 'gone.jsonl'} does not exist.")


def test_a_missing_model_folder_says_so_instead_of_a_hub_repo_id_error(tiny_world):
    """It ended in five chained tracebacks and "Repo id must be in the form 'repo_name' or 'namespace/repo_name'"."""
    message = one_line_failure(
        "sft.py", "--config", SFT_RECIPE, "--dataset_name", str(tiny_world / "sft.jsonl"),
        "--model_name_or_path", str(tiny_world / "modell"),
    )  # fmt: skip
    assert message == f"Model folder {tiny_world / 'modell'} does not exist. Did you mean {tiny_world / 'model'}?"
    # A repository-relative path as the README writes it, in a world that has not been built.
    message = one_line_failure(
        "grpo.py", "--config", GRPO_RECIPE, "--dataset_name", str(tiny_world / "grpo.jsonl"),
        "--model_name_or_path", "data/tiny-gone/model",
    )  # fmt: skip
    assert message.startswith("Model folder data/tiny-gone/model does not exist.")


def test_a_folder_that_holds_no_model_is_named(tmp_path, tiny_world):
    (tmp_path / "empty").mkdir()
    message = one_line_failure(
        "sft.py", "--config", SFT_RECIPE, "--dataset_name", str(tiny_world / "sft.jsonl"),
        "--model_name_or_path", str(tmp_path / "empty"),
    )  # fmt: skip
    assert message.startswith(f"Model folder {tmp_path / 'empty'} has no config.json: it is not a saved model")


def test_an_unknown_reward_names_the_nearest_ones(tiny_world, tiny):
    args = ["--config", GRPO_RECIPE, *tiny, "--dataset_name", str(tiny_world / "grpo.jsonl")]
    message = one_line_failure("grpo.py", *args, "--reward_funcs", "accuracy", "formatt", "--reward_weights", "1", "1")
    assert message.startswith(
        "Unknown reward function(s) in `reward_funcs`: formatt (did you mean format, code_format?). Known: accuracy, "
    )


def test_hub_ids_are_left_to_the_hub(tiny_world):
    """`org/name` is a hub id (no such folder here): the first checks let it through, to the full parse."""
    env = entry_point_env()
    code = (
        "import sys; from open_r1.preflight import check_inputs; "
        f"check_inputs('grpo', ['--config', '{GRPO_RECIPE}', '--model_name_or_path', 'Qwen/Qwen2.5-1.5B-Instruct', "
        "'--dataset_name', 'AI-MO/NuminaMath-TIR']); "
        "print(sorted(m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"  # and nothing heavy was imported to say so


def test_the_debug_switch_shows_the_traceback(tiny):
    env = entry_point_env()
    env["OPEN_R1_DEBUG"] = "1"
    result = run("sft.py", "--config", "recipes/tiny/sft/config_dem.yaml", *tiny, env=env)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("FileNotFoundError: Recipe recipes/tiny/sft/config_dem")
