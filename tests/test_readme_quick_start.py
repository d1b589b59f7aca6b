"""The README's first steps, pasted into a new shell of a fresh clone, as a newcomer types them.

A clone of this repository's committed state, whose `.venv` is this one (linked: `make install` is not run), in a
shell with nothing of the test session's environment but the offline switches. Each line of the quick start runs in
order and must exit 0, but `make demo` (tests/test_demo.py runs it, shortened) and `make test` (the suite this test
is part of): its first block, then its "Smaller steps" block; then `make sft-tiny` once more, as a newcomer reruns a
command: the run is finished, so it says so and exits 0 without training a step or rewriting the model.
"""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT


pytestmark = pytest.mark.slow


NOT_RUN_HERE = ("make demo", "make test")


def quick_start_lines() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = re.search(r"\n## Quick start\n(.*?)\n## ", readme, re.DOTALL)
    assert section, "README.md has no '## Quick start' section"
    first = re.search(r"```shell\n(.*?)```", section.group(1), re.DOTALL)
    smaller = re.search(
        r"Smaller steps, for looking at one stage at a time:\n\n```shell\n(.*?)```", section.group(1), re.DOTALL
    )
    assert first and smaller, "the quick start has no first block or no 'Smaller steps' block"
    lines = [line.split("#")[0].strip() for line in (first.group(1) + smaller.group(1)).splitlines()]
    return [line for line in lines if line]


def test_the_quick_start_runs_as_pasted_in_a_new_shell(tmp_path):
    lines = quick_start_lines()
    assert lines[:4] == ["make install", "source .venv/bin/activate", *NOT_RUN_HERE], lines
    assert lines[4:] == ["make tiny", "make sft-tiny", "make grpo-tiny"], lines
    lines = [line for line in lines if line not in NOT_RUN_HERE]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    (clone / ".venv").symlink_to(Path(sys.prefix))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env["OMP_NUM_THREADS"] = "2"

    def run(line: str) -> str:
        script = line if line == lines[1] else f"source .venv/bin/activate\n{line}"
        result = subprocess.run(
            ["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, (line, (result.stdout + result.stderr)[-4000:])
        return result.stdout + result.stderr

    for line in lines[1:]:
        run(line)
    model = clone / "data/tiny/runs/sft/model.safetensors"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    last_output = run("make sft-tiny")
    # The last line ran the finished SFT run again.
    assert "data/tiny/runs/sft is already finished (step 20 of 20" in last_output, last_output[-3000:]
    assert "Running training" not in last_output
    assert not (clone / "data/tiny/runs/sft/checkpoint-21").exists()
    state = json.loads((clone / "data/tiny/runs/sft/trainer_state.json").read_text())
    assert state["global_step"] == 20
    assert hashlib.sha256(model.read_bytes()).hexdigest() == digest
    assert (clone / "data/tiny/runs/grpo/model.safetensors").exists()
