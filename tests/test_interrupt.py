"""Ctrl-C stops a run with one line: where its newest checkpoint is and the command that resumes it.

It used to end in two KeyboardInterrupt tracebacks (about 55 lines) and no word on resuming; the relaunch then said
"resuming" at line 319, after the configuration dump, beside an unexplained warning that `lm_head.weight` was
missing (the tiny model ties its embeddings: a checkpoint stores that weight once).
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO_ROOT, entry_point_env, run_command, tiny_overrides


SFT_RECIPE = "recipes/tiny/sft/config_demo.yaml"

pytestmark = pytest.mark.slow


def test_ctrl_c_names_the_checkpoint_and_the_command_that_resumes_it(tiny_world, tmp_path):
    output_dir = tmp_path / "sft"
    command = [sys.executable, "src/open_r1/sft.py", "--config", SFT_RECIPE]
    command += [*tiny_overrides(tiny_world, output_dir, "sft"), "--max_steps", "2000", "--save_steps", "5"]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=entry_point_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, not ignored
    )
    checkpoint = output_dir / "checkpoint-5" / "trainer_state.json"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.exists(), "the run never wrote checkpoint-5"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 130, output[-3000:]
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    last = output.strip().splitlines()[-1]
    newest = max((p for p in output_dir.glob("checkpoint-*")), key=lambda p: int(p.name.split("-")[1]))
    assert last.startswith("Stopped at step "), last
    assert last.endswith(
        f"(Ctrl-C). The newest checkpoint is {newest}; this command resumes from it: {shlex.join(command)}"
    ), last

    # The printed command resumes (here for 3 more steps): it says so first thing, and explains the tied weight.
    step = int(newest.name.split("-")[1])
    resumed = run_command([*shlex.split(last.split("resumes from it: ", 1)[1]), "--max_steps", str(step + 3)])
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    lines = resumed.stdout.splitlines()
    resuming = next(i for i, line in enumerate(lines) if "resuming training at" in line)
    assert resuming < 5 and f"resuming training at {newest} (step {step} of {step + 3})" in lines[resuming]
    assert "There were missing keys in the checkpoint model loaded" not in resumed.stdout
    assert "tied embeddings (lm_head.weight is model.embed_tokens.weight) are stored once" in resumed.stdout
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == step + 3
