"""Every command of the README's "The three stages" section exists and parses, as the user would type it.

Commands are read from the section itself, so an edit there is checked too: `accelerate launch` lines parse their
recipe with the overrides given, at the launched process count (trl's batch checks included); `sbatch` lines run in
Slurm dry-run mode and the training command they would launch parses the same way; script lines parse with the
script's own argument parser; `make check-recipe` lines pass the recipe check; `make evaluate` lines resolve to a
lighteval command (DRY_RUN=1). What the commands do on the tiny world is tested by the tests named in that section.
"""

import io
import os
import re
import shlex
import subprocess
import sys
from unittest import mock

import pytest
import transformers
from conftest import REPO_ROOT, entry_point_env
from test_slurm import _accelerate_launch, dry_run
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils.recipe_parser import OpenR1Parser


def _section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    match = re.search(r"^## The three stages\n(.*?)^## ", readme, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## The three stages' section"
    return match.group(1)


def _commands() -> list[list[str]]:
    """Each shell command of the section's code blocks, continuation lines joined, comments and `&` removed."""
    commands = []
    for block in re.findall(r"```shell\n(.*?)```", _section(), flags=re.DOTALL):
        text = re.sub(r"\\\n", " ", block)
        for line in text.splitlines():
            words = shlex.split(line.replace("<user>", "user"), comments=True)
            if words:
                commands.append(words[:-1] if words[-1] == "&" else words)
    return commands


COMMANDS = _commands()


def _ids(commands):
    return [" ".join(command)[:90] for command in commands]


def _parse_training(script: str, args: list[str], world_size: int):
    classes = (
        (ScriptArguments, SFTConfig, ModelConfig)
        if script.endswith("sft.py")
        else (GRPOScriptArguments, GRPOConfig, ModelConfig)
    )
    with mock.patch.object(transformers.TrainingArguments, "world_size", new=property(lambda self: world_size)):
        return OpenR1Parser(classes).parse_args_and_config(args)


def _check_accelerate_launch(words: list[str]):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    assert words[:2] == ["accelerate", "launch"]
    launch, _, _ = _validate_launch_command(launch_command_parser().parse_args(words[2:]))
    script = launch.training_script
    assert (REPO_ROOT / script).is_file(), script
    for config_file in [launch.config_file] if launch.config_file else []:
        assert (REPO_ROOT / config_file).is_file(), config_file
    recipe = launch.training_script_args[launch.training_script_args.index("--config") + 1]
    assert (REPO_ROOT / recipe).is_file(), recipe
    _parse_training(script, launch.training_script_args, launch.num_processes)


def _check_sbatch(words: list[str]):
    nodes = next((int(w.split("=", 1)[1]) for w in words if w.startswith("--nodes=")), 2)
    script = next(w for w in words if w.startswith("slurm/"))
    code, output, commands = dry_run(
        script.removeprefix("slurm/"),
        *words[words.index(script) + 1 :],
        nodes=[f"gpu-{i}" for i in range(1, nodes + 1)],
    )
    assert code == 0, output
    if script == "slurm/train.slurm":
        _, launch = _accelerate_launch(commands[-1][0])
        # Each node's srun task expands its own rank; any one stands for them here.
        _check_accelerate_launch([word.replace("$SLURM_PROCID", "0") for word in launch])


def _check_script(words: list[str]):
    assert words[0] == "python" and words[1].startswith("scripts/"), words
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        module = __import__(os.path.splitext(os.path.basename(words[1]))[0])
    finally:
        sys.path.pop(0)
    module.parse_args(words[2:])  # argparse exits on an unknown option or a missing required one


def _check_make_evaluate(words: list[str]):
    assert "\nevaluate:" in (REPO_ROOT / "Makefile").read_text()
    variables = dict(word.split("=", 1) for word in words[2:])
    env = {**entry_point_env(), **variables, "DRY_RUN": "1", "PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "src/open_r1/evaluate.py" in result.stdout


def _check_make_check_recipe(words: list[str]):
    from open_r1.check_recipe import TASK_CLASSES, check

    assert "\ncheck-recipe:" in (REPO_ROOT / "Makefile").read_text()
    variables = dict(word.split("=", 1) for word in words[2:])
    recipe, task = variables["RECIPE"], variables["RECIPE"].split("/")[-2]
    out = io.StringIO()
    argv = ["--config", recipe, "--num_processes", variables["NUM_PROCESSES"], *shlex.split(variables.get("ARGS", ""))]
    assert check(TASK_CLASSES[task], argv, out=out) == 0, out.getvalue()


def _check_transformers_serve(words: list[str]):
    help_text = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "transformers"), "serve", "--help"]
        if (REPO_ROOT / ".venv" / "bin" / "transformers").exists()
        else ["transformers", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    for word in words[2:]:
        if word.startswith("--"):
            assert word in help_text, f"`transformers serve` has no option {word}"


@pytest.mark.parametrize("words", COMMANDS, ids=_ids(COMMANDS))
def test_three_stages_command_exists_and_parses(words):
    if words[:2] == ["accelerate", "launch"]:
        _check_accelerate_launch(words)
    elif words[0] == "sbatch":
        _check_sbatch(words)
    elif words[0] == "python":
        _check_script(words)
    elif words[:2] == ["make", "evaluate"]:
        _check_make_evaluate(words)
    elif words[:2] == ["make", "check-recipe"]:
        _check_make_check_recipe(words)
    elif words[:2] == ["transformers", "serve"]:
        _check_transformers_serve(words)
    else:
        pytest.fail(f"no check for the README command {words}: teach tests/test_three_stages.py how to check it")


def test_the_section_shows_every_stage_on_gpus_and_on_a_cpu():
    section = _section()
    commands = [" ".join(command) for command in COMMANDS]
    # The stages' recipes, on GPUs and on the tiny world.
    for recipe in (
        "recipes/OpenR1-Distill-7B/sft/config_distill.yaml",
        "recipes/Qwen2.5-Math-7B/grpo/config_r1_zero.yaml",
        "recipes/Qwen2.5-Math-1.5B/grpo/config_r1_zero.yaml",
        "recipes/OpenR1-Distill-7B/grpo/config_math.yaml",
        "recipes/tiny/grpo/config_r1_zero.yaml",
        "recipes/tiny/sft/config_demo.yaml",
        "recipes/tiny/grpo/config_demo.yaml",
    ):
        name = recipe.removeprefix("recipes/")
        model, task, config = name.split("/")
        suffix = config.removeprefix("config_").removesuffix(".yaml")
        slurm = f"--model {model} --task {task} --config {suffix}"
        assert recipe in section or any(slurm in command for command in commands), recipe
    for step in ("generate", "decontaminate", "traces_to_sft", "sft.py", "grpo.py", "make evaluate"):
        assert sum(step in command for command in commands) >= 2, f"{step} is not shown on GPUs and on a CPU"
    assert len(COMMANDS) >= 18
