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
    build_demo_world(str(tmp_path), seed=1, sft_rows=500, grpo_rows=100, test_rows=50)
    read = lambda name: [json.loads(line) for line in open(tmp_path / name)]  # noqa: E731
    test = {row["problem"] for row in read("test.jsonl")}
    sft = {row["messages"][0]["content"] for row in read("sft.jsonl")}
    grpo = {row["problem"] for row in read("grpo.jsonl")}
    assert len(test) == 50
    assert not test & sft and not test & grpo
    replies = [row["messages"][1]["content"] for row in read("sft.jsonl")]
    shares = {name: sum(behaviour(r) == name for r in replies) / len(replies) for name in (CAREFUL, SHORTCUT)}
    assert 0.4 < shares[CAREFUL] < 0.6 and 0.4 < shares[SHORTCUT] < 0.6


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
