"""Where no isolation works, a GRPO run with the local code provider stops before loading the model, saying why.

This machine can isolate programs, so the failure is injected at the one place isolation is built: the sandbox's init
(the process that enters the namespaces and drops privileges) is replaced by one that fails the way a locked-down
container makes it fail. Everything else is real: the recipe is parsed, the rewards are built, the probe runs.
Without this check a run would load a model (minutes on a cluster), then score every program None, and trl would
train on nothing but the other rewards, silently.
"""

import re
import sys

import pytest
from conftest import run_command


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the local sandbox runs on Linux")

FAILING_INIT = """\
import sys
sys.stderr.write("unshare: Operation not permitted\\n")
sys.exit(1)
"""

# Runs the GRPO entry point with the sandbox's init replaced by the script given as the first argument.
WRAPPER = """\
import sys

from open_r1.utils.code_execution.sandbox import runner

runner.INIT_SCRIPT = sys.argv.pop(1)

from open_r1 import grpo

parser = grpo.OpenR1Parser((grpo.GRPOScriptArguments, grpo.GRPOConfig, grpo.ModelConfig))
grpo.main(*parser.parse_args_and_config())
"""


@pytest.fixture
def failing_init(tmp_path):
    path = tmp_path / "failing_init.py"
    path.write_text(FAILING_INIT)
    return str(path)


def test_the_isolation_probe_names_every_mode_it_tried(failing_init, monkeypatch):
    from open_r1.utils.code_execution.sandbox import detect_isolation, runner

    monkeypatch.setattr(runner, "INIT_SCRIPT", failing_init)
    monkeypatch.setattr(runner, "_detected", {})
    with pytest.raises(RuntimeError) as error:
        detect_isolation()
    message = str(error.value)
    assert "No sandbox isolation works on this machine" in message
    for isolation in runner._candidates():
        assert f"{isolation.mode}:" in message
    assert "Operation not permitted" in message
    assert "code_provider" in message, "the error must say how to run code rewards anyway"


def test_grpo_with_the_local_code_provider_refuses_to_start(tiny_world, tmp_path, failing_init):
    wrapper = tmp_path / "grpo_without_isolation.py"
    wrapper.write_text(WRAPPER)
    missing_model = tmp_path / "no-such-model"
    result = run_command(
        [
            sys.executable,
            str(wrapper),
            failing_init,
            "--config",
            "recipes/tiny/grpo/config_code.yaml",
            "--model_name_or_path",
            str(missing_model),
            "--dataset_name",
            str(tiny_world / "grpo.jsonl"),
            "--output_dir",
            str(tmp_path / "out"),
        ],
        timeout=180,
    )
    assert result.returncode != 0
    errors = re.findall(r"^\w+(?:Error|Exception): .*$", result.stdout, flags=re.MULTILINE)
    # The run died of the probe's error, not of loading the missing model (which would name its path).
    assert errors and errors[-1].startswith("RuntimeError: No sandbox isolation works"), result.stdout[-3000:]
    assert "code_provider" in errors[-1]
