"""A shortened `make demo` runs the same code path end to end and writes its metrics, report and plots."""

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, entry_point_env

from open_r1.utils.synthetic.demo_task import CAREFUL, OTHER, SHORTCUT, behaviour, build_demo_world


def test_behaviour_is_read_from_the_first_reasoning_line():
    assert behaviour("<think>\n3 + 4 = 7\n7 - 1 = 6\n</think>\n<answer>\n\\boxed{6}\n</answer>") == CAREFUL
    assert behaviour("<think>\nI guess 5.\n</think>\n<answer>\n\\boxed{5}\n</answer>") == SHORTCUT
    assert behaviour("hello") == OTHER


def test_demo_world_holds_out_its_test_problems(tmp_path):
    build_demo_world(str(tmp_path), seed=1, sft_rows=500, grpo_rows=100, test_rows=50, careful_share=0.4)
    read = lambda name: [json.loads(line) for line in open(tmp_path / name)]  # noqa: E731
    test = {row["problem"] for row in read("test.jsonl")}
    sft = {row["messages"][0]["content"] for row in read("sft.jsonl")}
    grpo = {row["problem"] for row in read("grpo.jsonl")}
    assert len(test) == 50
    assert not test & sft and not test & grpo
    replies = [row["messages"][1]["content"] for row in read("sft.jsonl")]
    shares = {name: sum(behaviour(r) == name for r in replies) / len(replies) for name in (CAREFUL, SHORTCUT)}
    assert abs(shares[CAREFUL] - 0.4) < 0.06 and abs(shares[SHORTCUT] - 0.6) < 0.06


@pytest.mark.slow
def test_shortened_demo_writes_metrics_report_and_plots(tmp_path):
    command = [sys.executable, "scripts/demo.py", "--output-dir", str(tmp_path), "--seed", "0",
               "--sft-steps", "30", "--grpo-steps", "3", "--test-problems", "6", "--num-samples", "2"]  # fmt: skip
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=entry_point_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    for stage in ("base", "sft", "grpo"):
        for key in ("accuracy", "greedy_accuracy", "format_reward"):
            assert 0.0 <= metrics[f"{stage}_{key}"] <= 1.0
    assert len(metrics["grpo_careful_share_per_step"]) == 3  # one share per GRPO step, from trl's completion logs
    assert "beside the README's range" in result.stdout
    # The kernel family the run trained on is recorded and shown beside the range (it moves the numbers).
    import torch

    assert metrics["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert metrics["aten_cpu_capability"] == entry_point_env().get("ATEN_CPU_CAPABILITY")
    assert f"This run ran on CPU capability {metrics['cpu_capability']}" in result.stdout
    assert f"CPU capability {metrics['cpu_capability']}" in (tmp_path / "report.md").read_text()
    assert len(metrics["checks"]) == 4 and result.stdout.count("  [ok] ") + result.stdout.count("  [MISSED] ") == 4
    report = (tmp_path / "report.md").read_text()
    for name in ("sft_loss.png", "grpo_reward.png", "accuracy.png", "behaviour.png"):
        assert (tmp_path / name).stat().st_size > 1000
        assert f"]({name})" in report


def test_the_story_checks_hold_only_when_every_condition_does():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from demo import story_checks

    good = {"base_accuracy": 0.0, "sft_accuracy": 0.6, "grpo_accuracy": 0.65, "sft_greedy_accuracy": 0.8,
            "grpo_greedy_accuracy": 0.8, "sft_format_reward": 0.9}  # fmt: skip
    assert all(holds for _, holds in story_checks(good))
    for key, value in [("sft_accuracy", 0.0), ("grpo_accuracy", 0.64), ("grpo_greedy_accuracy", 0.79),
                       ("sft_format_reward", 0.89)]:  # fmt: skip
        assert [holds for _, holds in story_checks({**good, key: value})].count(False) == 1, key


def test_readme_shows_the_reference_runs_and_every_one_holds():
    """The README's demo table is the summary of docs/demo/reference_runs.json (what `make demo` compares itself
    with), and those runs are the promise: 5 seeds, each on every kernel path torch has for x86 CPUs (unvectorised,
    AVX2, and AVX-512 where the measuring CPU has it natively), every check held."""
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from demo import load_reference, reference_table, story_checks

    reference = load_reference()
    runs = reference["runs"]
    assert sorted((run["seed"], run["kernels"]) for run in runs) == [
        (seed, kernels) for seed in range(5) for kernels in ("avx2", "default", "native")
    ]
    assert {run["cpu_capability"] for run in runs} == {"DEFAULT", "AVX2", "AVX512"}
    for run in runs:
        failed = [statement for statement, holds in story_checks(run) if not holds]
        assert not failed, (run["seed"], run["kernels"], failed)
    assert reference_table(reference) in (REPO_ROOT / "README.md").read_text()


def test_the_comparison_flags_a_run_outside_the_readme_range():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from demo import compare_with_reference

    run = {"seed": 0, "sft_accuracy": 0.5, "grpo_accuracy": 0.7, "sft_greedy_accuracy": 0.5,
           "grpo_greedy_accuracy": 0.8, "sft_format_reward": 1.0, "sft_careful_share": 0.4,
           "grpo_careful_share": 0.9}  # fmt: skip
    reference = {"measured": "today", "runs": [run, {**run, "seed": 1, "grpo_accuracy": 0.8}]}
    lines = compare_with_reference({**run, "grpo_accuracy": 0.75}, reference)
    pass_at_1 = next(line for line in lines if line.strip().startswith("GRPO pass@1"))
    assert "0.750" in pass_at_1 and "0.700-0.800" in pass_at_1 and pass_at_1.endswith("in range")
    lines = compare_with_reference({**run, "grpo_accuracy": 0.95}, reference)
    assert next(line for line in lines if line.strip().startswith("GRPO pass@1")).endswith("outside the range")


def test_the_comparison_names_the_cpu_capability_of_the_run_and_of_the_range():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from demo import compare_with_reference

    run = {"seed": 0, "sft_accuracy": 0.5, "grpo_accuracy": 0.7, "sft_greedy_accuracy": 0.5,
           "grpo_greedy_accuracy": 0.8, "sft_format_reward": 1.0, "sft_careful_share": 0.4,
           "grpo_careful_share": 0.9}  # fmt: skip
    reference = {"measured": "today", "runs": [
        {**run, "cpu_capability": "AVX512", "aten_cpu_capability": None},
        {**run, "seed": 1, "cpu_capability": "DEFAULT", "aten_cpu_capability": "default"}]}  # fmt: skip
    lines = compare_with_reference({**run, "cpu_capability": "AVX2", "aten_cpu_capability": "avx2"}, reference)
    assert lines[0] == "This run ran on CPU capability AVX2 (ATEN_CPU_CAPABILITY=avx2)."
    assert "CPU kernel paths AVX512, DEFAULT (ATEN_CPU_CAPABILITY=default);" in lines[1]
