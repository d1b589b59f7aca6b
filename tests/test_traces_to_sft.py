"""scripts/traces_to_sft.py: generated traces -> `messages` conversations that sft.py trains on (stage 1's last step
before SFT). Right answers are kept, wrong and cut-off ones dropped, and the result trains."""

import json
import sys

import pytest
from conftest import REPO_ROOT, run_entry_point
from datasets import Dataset


sys.path.insert(0, str(REPO_ROOT / "scripts"))
import traces_to_sft  # noqa: E402


def _trace(result: int) -> str:
    return f"<think>\nwork\n</think>\n<answer>\n\\boxed{{{result}}}\n</answer>"


ROWS = [
    {  # scripts/generate_reasoning.py's shape: `generations` with `finish_reasons`
        "problem": "What is 2 + 3 - 1?",
        "solution": "2 + 3 = 5, 5 - 1 = 4. The answer is $\\boxed{4}$.",
        "generations": [_trace(5), _trace(4), _trace(4), _trace(4)],
        "finish_reasons": ["stop", "length", "stop", "stop"],
    },
    {
        "problem": "What is 1 + 1 - 0?",
        "solution": "$\\boxed{2}$",
        "generations": [_trace(3)],
        "finish_reasons": ["stop"],
    },
]


def _run(tmp_path, rows, *args):
    source = tmp_path / "traces.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / "sft.jsonl"
    code = traces_to_sft.main(["--dataset", str(source), "--output_file", str(output), *args])
    rows = [json.loads(line) for line in output.read_text().splitlines()] if output.exists() else []
    return code, rows


def test_keeps_the_first_right_finished_trace_per_problem(tmp_path, capsys):
    code, rows = _run(tmp_path, ROWS)
    assert code == 0
    # Row 1: the wrong trace and the cut-off right one are dropped; of the two finished right ones, one is kept.
    assert rows == [
        {
            "problem": "What is 2 + 3 - 1?",
            "messages": [
                {"role": "user", "content": "What is 2 + 3 - 1?"},
                {"role": "assistant", "content": _trace(4)},
            ],
        }
    ]
    table = capsys.readouterr().out
    assert "| 2 | 5 | 1 | 2 | 0 | 1 | 1 |" in table  # problems, traces, cut off, wrong, unjudged, over limit, kept


def test_more_traces_per_problem_and_the_looser_keep_levels(tmp_path):
    _, rows = _run(tmp_path, ROWS, "--traces_per_problem", "2")
    assert [row["messages"][1]["content"] for row in rows] == [_trace(4), _trace(4)]
    _, rows = _run(tmp_path, ROWS, "--keep", "finished", "--traces_per_problem", "9")
    assert len(rows) == 4  # every finished trace, right or wrong; the cut-off one is still dropped
    _, rows = _run(tmp_path, ROWS, "--keep", "all", "--traces_per_problem", "9")
    assert len(rows) == 5  # every trace


def test_nothing_kept_fails_and_a_missing_gold_says_what_to_pass(tmp_path):
    code, rows = _run(tmp_path, ROWS[1:])
    assert code == 1 and rows == []
    no_gold = [{k: v for k, v in row.items() if k != "solution"} for row in ROWS]
    with pytest.raises(ValueError, match="--solution_column, or --keep finished"):
        _run(tmp_path, no_gold)


@pytest.mark.slow
def test_generate_py_output_converts_and_trains(tiny_world, tmp_path):
    """generate.py's shape (a save_to_disk folder with a `generation` list), converted, then 2 SFT steps on it."""
    problems = [json.loads(line) for line in (tiny_world / "grpo.jsonl").read_text().splitlines()[:8]]
    folder = tmp_path / "generated"
    Dataset.from_list(
        [{**row, "generation": [_trace(int(row["answer"])), _trace(int(row["answer"]) + 1)]} for row in problems]
    ).save_to_disk(str(folder))
    output = tmp_path / "sft.jsonl"
    assert traces_to_sft.main(["--dataset", str(folder), "--output_file", str(output)]) == 0
    assert len(output.read_text().splitlines()) == 8

    result = run_entry_point(
        "sft.py",
        "--config",
        "recipes/tiny/sft/config_demo.yaml",
        "--model_name_or_path",
        str(tiny_world / "model"),
        "--dataset_name",
        str(output),
        "--output_dir",
        str(tmp_path / "sft"),
        "--max_steps",
        "2",
    )
    assert result.returncode == 0, result.stdout[-5000:]
    assert json.loads((tmp_path / "sft" / "trainer_state.json").read_text())["global_step"] == 2
