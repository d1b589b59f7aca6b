"""The reward preflight (`python -m open_r1.check_recipe --config R --sample N`): a recipe's rewards scored on its own
rows (reference, wrong answer, empty completion) before training; exit status 1 when a reward cannot tell them apart.

Each test is a failure open-r1's users trained on for hours: golds that do not parse, a format reward that can never
fire because the chat template opens <think> (open-r1 #560), a reward with no signal, a code row whose reference
fails its own tests. Most run in-process (check_recipe.main, as the command line calls it); one runs the command.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, entry_point_env

from open_r1 import check_recipe
from open_r1.reward_preflight import last_boxed, wrong_math_answer
from open_r1.utils.synthetic.tiny_code_data import build_tiny_code_dataset


def _recipe(tmp_path: Path, tiny_world: Path, dataset: Path | str, **options) -> Path:
    recipe = {
        "model_name_or_path": str(tiny_world / "model"),
        "dataset_name": str(dataset),
        "dataset_prompt_column": "problem",
        "reward_funcs": ["accuracy", "format"],
        "num_generations": 4,
        "per_device_train_batch_size": 8,
        "output_dir": str(tmp_path / "run"),
        "report_to": "none",
        "bf16": False,
        "use_vllm": False,
        **options,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(recipe))  # JSON is YAML
    return path


def _preflight(capsys, recipe: Path, sample: int = 6, *extra: str) -> tuple[int, str]:
    code = check_recipe.main(["--config", str(recipe), "--sample", str(sample), *extra])
    return code, capsys.readouterr().out


def _flat(report: str) -> str:
    """The report's prose as one line (it wraps at 116 characters)."""
    return " ".join(report.split())


def _table_row(report: str, reward: str) -> list[str]:
    return next(line.split() for line in report.splitlines() if line.split()[:1] == [reward])


def test_a_good_recipe_passes_with_a_clean_report(tiny_world, tmp_path, capsys):
    code, report = _preflight(capsys, _recipe(tmp_path, tiny_world, tiny_world / "grpo.jsonl"))
    assert code == 0, report
    # reward, judged as, not scored, ref>wrong, ref<wrong, all 3 equal, means, ms/row, verdict
    assert _table_row(report, "accuracy")[1:6] == ["correctness", "0/6", "6/6", "0/6", "0/6"]
    assert _table_row(report, "accuracy")[6] == "1.00/0.00/0.00" and _table_row(report, "accuracy")[-1] == "ok"
    assert _table_row(report, "format")[5:7] == ["0/6", "1.00/1.00/0.00"]  # in format twice; the empty one is not
    assert "Golds that do not parse: none" in report and "Details:" not in report
    assert "Time per row:" in report and report.rstrip().split("\n\n")[-1].startswith("OK:")


def test_golds_that_do_not_parse_are_reported_and_fail(tiny_world, tmp_path, capsys):
    rows = [{"problem": f"What is {i} + 1?", "solution": "The answer is unknown."} for i in range(4)]
    rows += [{"problem": "What is 1 + 1?", "solution": "$\\boxed{2}$"}]
    data = tmp_path / "bad_golds.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, report = _preflight(capsys, _recipe(tmp_path, tiny_world, data))
    assert code == 1, report
    assert "Golds that do not parse: 4 of 5 rows" in report
    assert "row 0: accuracy scores its reference None; gold 'The answer is unknown.'" in report
    assert _table_row(report, "accuracy")[2:4] == ["4/5", "1/5"] and _table_row(report, "accuracy")[-1] == "FAIL"
    assert "FAILED: accuracy cannot be trained on" in report and "1 of 5 rows" in _flat(report)


@pytest.mark.parametrize("prefilled", [False, True])
def test_a_format_reward_that_cannot_fire_under_a_think_prefill_has_no_signal(tiny_world, tmp_path, capsys, prefilled):
    # The tiny world's ChatML template, with the generation prompt opening <think> as DeepSeek-R1-Distill's does.
    template = (tiny_world / "model" / "chat_template.jinja").read_text()
    template = template.replace(
        "'<|im_start|>assistant\n' }}{% endif %}", "'<|im_start|>assistant\n<think>\n' }}{% endif %}"
    )
    assert "<think>" in template
    recipe = _recipe(
        tmp_path, tiny_world, tiny_world / "grpo.jsonl", chat_template=template, format_think_prefilled=prefilled
    )
    code, report = _preflight(capsys, recipe, 4)
    assert "the generation prompt opens <think>" in _flat(report)
    if prefilled:  # the reward adds the prefilled tag back: reference and wrong answer in format, empty not
        assert code == 0, report
        assert _table_row(report, "format")[5:7] == ["0/4", "1.00/1.00/0.00"]
    else:
        assert code == 1, report
        assert _table_row(report, "format")[5:7] == ["4/4", "0.00/0.00/0.00"]
        assert "format no signal: it gives all three completions the same value on 4 of 4 rows" in _flat(report)
        assert "set `format_think_prefilled: true`" in _flat(report)
        assert _table_row(report, "accuracy")[-1] == "ok"  # the answer is still judged


def test_a_user_reward_with_no_signal_fails(tiny_world, tmp_path, capsys):
    (tmp_path / "constant.py").write_text(
        "def always_one(completions, **kwargs):\n    return [1.0] * len(completions)\n"
    )
    recipe = _recipe(
        tmp_path,
        tiny_world,
        tiny_world / "grpo.jsonl",
        reward_funcs=["accuracy", f"{tmp_path}/constant.py:always_one"],
    )
    code, report = _preflight(capsys, recipe, 3)
    assert code == 1, report
    row = _table_row(report, f"{tmp_path}/constant.py:always_one")
    assert row[1] == "user" and row[5:7] == ["3/3", "1.00/1.00/1.00"] and row[-1] == "FAIL"
    assert "row 0: reference 1, wrong 1, empty 1" in report


def test_a_code_row_whose_reference_fails_its_tests_is_reported(tiny_world, tmp_path, capsys):
    data = Path(build_tiny_code_dataset(str(tmp_path / "code.jsonl"), rows=4, num_tests=2))
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[1]["solution"] = "print('not the answer')\n"  # a wrong reference, as datasets have
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    recipe = _recipe(tmp_path, tiny_world, data, reward_funcs=["code", "code_format"], code_provider="local")
    code, report = _preflight(capsys, recipe, 4)
    assert code == 0, report  # three rows of four still tell right from wrong
    assert "Code rows whose reference fails its own tests: 1 of 4 (rows 1)" in report
    assert _table_row(report, "code")[3:6] == ["3/4", "0/4", "1/4"]
    assert "cannot score" not in report and _table_row(report, "code_format")[-1] == "ok"


def test_the_wrong_answer_is_surely_wrong():
    assert last_boxed("so $\\boxed{\\frac{1}{2}}$ and \\boxed{14}.") == "14"
    assert last_boxed("\\boxed{\\frac{1}{2}}") == "\\frac{1}{2}"
    assert wrong_math_answer("The answer is $\\boxed{14}$.") == "The answer is $\\boxed{15}$."
    assert wrong_math_answer("1,000") == "The answer is $\\boxed{1001}$."
    assert wrong_math_answer("2.5") == "The answer is $\\boxed{3.5}$."
    assert wrong_math_answer("\\boxed{\\frac{1}{2}}") == "The answer is $\\boxed{-12345}$."


def test_the_command_exits_with_the_verdict(tiny_world, tmp_path):
    # As `make check-recipe RECIPE=... SAMPLE=N` runs it; an empty `solution` column cannot be judged.
    data = tmp_path / "empty_golds.jsonl"
    data.write_text("".join(json.dumps({"problem": f"What is {i}?", "solution": ""}) + "\n" for i in range(3)))
    result = subprocess.run(
        [sys.executable, "-m", "open_r1.check_recipe", "--config", str(_recipe(tmp_path, tiny_world, data))]
        + ["--sample", "3"],
        cwd=REPO_ROOT,
        env=entry_point_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Golds that do not parse: 3 of 3 rows" in result.stdout and "row 0: `solution` is empty" in result.stdout
    assert result.stdout.rstrip().split("\n\n")[-1].startswith("FAILED: accuracy cannot be trained on")
