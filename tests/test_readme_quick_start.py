"""The README's first steps, pasted into a new shell of a fresh clone, as a newcomer types them.

A clone of this repository's committed state, whose `.venv` is this one (linked: `make install` is the one line not
run), in a shell with nothing of the test session's environment but the offline switches. Each line of the quick
start's "Smaller steps" block runs in order and must exit 0; then `make sft-tiny` once more, as a newcomer reruns a
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


def quick_start_lines() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"Smaller steps, for looking at one stage at a time:\n\n```shell\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md has no 'Smaller steps' block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]


def test_the_quick_start_runs_as_pasted_in_a_new_shell(tmp_path):
    lines = quick_start_lines()
    assert lines[:2] == ["make install", "source .venv/bin/activate"], lines
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
