"""Recipes of every era of open-r1 (January to June 2025) load, each legacy key with its warning, and fit their GPUs.

The corpus (tests/open_r1_recipes/, see its README) is written for these tests in the shapes of open-r1's SFT and
GRPO recipes over time: alignment-handbook's data keys, the launcher's `num_processes`, vLLM on its own GPU
(`vllm_device`), trl 0.14-0.19 names, benchmark names of the time. Each file states the training processes it was
written for and the legacy keys the parser must name; the recipe check must pass at that count, and the warnings
must name exactly those keys (a missing warning is a silent change of meaning, an extra one is noise).
"""

import io
import re
from pathlib import Path

import pytest
import yaml

from open_r1.check_recipe import TASK_CLASSES, check, classes_on_processes
from open_r1.configs import DatasetMixtureConfig
from open_r1.utils.recipe_parser import OpenR1Parser


CORPUS = Path(__file__).resolve().parent / "open_r1_recipes"
RECIPES = sorted(CORPUS.glob("*.yaml"))


def _header(path: Path, name: str) -> str:
    match = re.search(rf"^# {name}: (.+)$", path.read_text(), flags=re.MULTILINE)
    assert match, f"{path.name}: the header must have a `# {name}:` line (see {CORPUS.name}/README.md)"
    return match.group(1).strip()


def _task(path: Path) -> str:
    return "grpo" if "-grpo-" in path.name else "sft"


def _report(path: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    status = check(TASK_CLASSES[_task(path)], ["--config", str(path), *extra], out=out)
    return status, out.getvalue()


def _warned_keys(report: str) -> list[str]:
    """The key each warning is about: the first `quoted` name of the message (`key: value` counts as key)."""
    section = report.split("\nWarnings")[1].split("\nOK:")[0].split("\nFAILED")[0]
    messages = [line[4:] for line in section.splitlines() if line.startswith("  - ")]
    return [re.search(r"`([^`]+)`", message).group(1).split(":")[0] for message in messages]


def test_the_corpus_covers_every_era_and_both_families():
    eras = {(_header(p, "Era")[:7], _task(p)) for p in RECIPES}
    months = {month for month, _ in eras}
    assert months == {"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"}
    for month in ["2025-01", "2025-02", "2025-05", "2025-06"]:
        assert {(month, "sft"), (month, "grpo")} <= eras, month


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_of_open_r1_history_loads_and_fits_its_gpus(path):
    processes = int(_header(path, "Training processes"))
    status, report = _report(path, "--num_processes", str(processes))
    assert status == 0, report
    expected = [key.strip() for key in _header(path, "Expected legacy keys").split(",")]
    assert sorted(_warned_keys(report)) == sorted(k for k in expected if k != "none"), report


@pytest.mark.parametrize(
    "name, processes",
    [
        ("2025-01-grpo-demo", 1),
        ("2025-02-grpo-code-e2b", 3),
        ("2025-03-grpo-simple-rl-math", 8),
        ("2025-06-grpo-r1-zero-math", 3),
    ],
)
def test_grpo_recipes_of_open_r1_do_not_fit_any_gpu_count(name, processes):
    """The check is not a rubber stamp: the same recipes on a GPU count they were not written for fail."""
    status, report = _report(CORPUS / f"{name}.yaml", "--num_processes", str(processes))
    assert status == 1 and "must be divisible" in report.split("FAILED")[1], report


def _parse(path: Path) -> tuple:
    """The configs the run builds from the recipe, on the training processes the recipe was written for."""
    classes = classes_on_processes(TASK_CLASSES[_task(path)], int(_header(path, "Training processes")))
    return OpenR1Parser(classes).parse_args_and_config(["--config", str(path)])


def test_handbook_mixer_of_one_whole_dataset_keeps_its_test_split():
    script_args, training_args, model_args = _parse(CORPUS / "2025-01-sft-handbook-mixer.yaml")
    assert script_args.dataset_name == "HuggingFaceH4/Bespoke-Stratos-17k" and script_args.dataset_mixture is None
    assert (script_args.dataset_train_split, script_args.dataset_test_split) == ("train", "test")
    assert training_args.dataset_num_proc == 12 and training_args.max_length == 4096
    assert model_args.dtype == "bfloat16"


def test_handbook_mixer_of_two_datasets_becomes_a_mixture_with_their_configs():
    script_args, _, _ = _parse(CORPUS / "2025-02-sft-handbook-two-datasets.yaml")
    mixture = script_args.dataset_mixture
    assert isinstance(mixture, DatasetMixtureConfig) and mixture.seed == 42
    assert [(d.id, d.config, d.split, d.weight) for d in mixture.datasets] == [
        ("open-r1/OpenR1-Math-220k", "default", "train", 0.5),
        ("open-r1/codeforces-cots", "solutions", "train", 1.0),
    ]


def test_old_recipe_values_reach_the_current_options():
    script_args, training_args, _ = _parse(CORPUS / "2025-01-grpo-demo.yaml")
    assert script_args.dataset_config == "all" and script_args.max_prompt_tokens == 512
    assert training_args.warmup_steps == 0.1 and training_args.generation_batch_size == 16 * 16 * 7
    _, training_args, _ = _parse(CORPUS / "2025-04-sft-unquoted-no.yaml")
    assert training_args.eval_strategy == "no" and training_args.dataset_num_proc == 8
    _, training_args, _ = _parse(CORPUS / "2025-06-grpo-r1-zero-math.yaml")
    assert training_args.benchmarks == ["aime24", "gpqa", "lcb"] and training_args.scale_rewards == "none"


def test_a_key_that_never_was_an_option_is_still_refused(tmp_path):
    recipe = yaml.safe_load((CORPUS / "2025-01-grpo-demo.yaml").read_text())
    recipe["num_proceses"] = 7  # one letter off the legacy launcher key
    path = tmp_path / "config-grpo-typo.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = io.StringIO()
    status = check(TASK_CLASSES["grpo"], ["--config", str(path), "--num_processes", "7"], out=out)
    assert status == 1 and "num_proceses" in out.getvalue().split("FAILED")[1]
