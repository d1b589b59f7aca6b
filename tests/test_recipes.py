"""Every shipped recipe and accelerate config loads with the classes that will read it, and says how to launch it.

A recipe is data a user copies onto a cluster: a misspelt key, a legacy name, a batch that does not divide into
GRPO groups at the documented GPU count, or a header whose commands point at another file all cost a queued job.
These checks parse each file exactly as the entry points do (OpenR1Parser with the entry point's classes), so they
run on a CPU in seconds.
"""

import logging
import os
import re
import sys
from pathlib import Path
from unittest import mock

import pytest
import transformers
import yaml
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.rewards import REWARD_NAMES
from open_r1.utils.callbacks import CALLBACKS
from open_r1.utils.recipe_parser import OpenR1Parser


REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPES = REPO_ROOT / "recipes"


def _relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


ALL_YAML = sorted(RECIPES.rglob("*.yaml"))
TRAINING_RECIPES = [p for p in ALL_YAML if p.parent.name in ("sft", "grpo")]
GRPO_RECIPES = [p for p in TRAINING_RECIPES if p.parent.name == "grpo"]
FILTER_RECIPES = [p for p in ALL_YAML if p.parent.name == "dataset_filtering"]
ACCELERATE_CONFIGS = [p for p in ALL_YAML if p.parent.name == "accelerate_configs"]
# The CPU recipes (tiny/ smoke runs, demo/ learning demo) run on 1 process (`make sft-tiny`) and on 2
# (tests/test_multiprocess.py); they state no cluster hardware.
CPU_RECIPE_DIRS = [RECIPES / "tiny", RECIPES / "demo"]
TINY_PROCESS_COUNTS = [1, 2]


def _ids(paths):
    return [_relative(p) for p in paths]


def _header(path: Path) -> str:
    """The leading comment block of a recipe: where it states its hardware and launch commands."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def _is_tiny(path: Path) -> bool:
    return any(folder in path.parents for folder in CPU_RECIPE_DIRS)


def _training_processes(path: Path) -> list[int]:
    if _is_tiny(path):
        return TINY_PROCESS_COUNTS
    match = re.search(r"^# Training processes: (\d+)$", _header(path), flags=re.MULTILINE)
    assert match, f"{_relative(path)}: the header must state `# Training processes: N` (the GPUs that train)"
    return [int(match.group(1))]


def _parse(path: Path, classes: tuple, world_size: int = 1) -> tuple:
    """Parses a recipe as the entry point would, as if launched on `world_size` processes."""
    # GRPOConfig checks its batch arithmetic against TrainingArguments.world_size at parse time; on this machine that
    # is 1, so the documented cluster size is put in its place.
    with mock.patch.object(transformers.TrainingArguments, "world_size", new=property(lambda self: world_size)):
        return OpenR1Parser(classes).parse_args_and_config(["--config", str(path)])


def _entry_point_classes(path: Path) -> tuple:
    return (ScriptArguments, SFTConfig, ModelConfig) if path.parent.name == "sft" else _GRPO_CLASSES


_GRPO_CLASSES = (GRPOScriptArguments, GRPOConfig, ModelConfig)


@pytest.fixture
def legacy_warnings(caplog):
    """Warnings the recipe parser gives for legacy or dropped keys (a shipped recipe must use current names)."""
    caplog.set_level(logging.WARNING, logger="open_r1.utils.recipe_parser")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.recipe_parser"]


def test_every_yaml_under_recipes_is_checked():
    unchecked = set(ALL_YAML) - set(TRAINING_RECIPES) - set(FILTER_RECIPES) - set(ACCELERATE_CONFIGS)
    assert not unchecked, (
        f"{_ids(sorted(unchecked))} are not under <model>/sft, <model>/grpo, dataset_filtering or accelerate_configs, "
        "so no test parses them; move them or teach tests/test_recipes.py their shape"
    )
    # The families the README promises exist.
    expected = [
        "OpenR1-Distill-7B/sft/config_distill.yaml",
        "Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml",
        "Qwen2.5-1.5B-Instruct/grpo/config_demo_code.yaml",
        "Qwen2.5-1.5B-Instruct/grpo/config_demo_code_ioi.yaml",
        "DeepSeek-R1-Distill-Qwen-1.5B/grpo/config_demo.yaml",
        "Qwen2.5-Coder-7B-Instruct/grpo/config_codeforces.yaml",
        "OpenR1-Distill-7B/grpo/config_math.yaml",
        "Qwen2.5-Math-7B/grpo/config_r1_zero.yaml",
        "Qwen2.5-Math-1.5B/grpo/config_r1_zero.yaml",
        "Qwen2.5-Math-7B/grpo/config_dapo.yaml",
        "Qwen2.5-Math-7B/grpo/config_dr_grpo.yaml",
        "Qwen2.5-Math-7B/grpo/config_gspo.yaml",
        "tiny/grpo/config_r1_zero.yaml",
        "tiny/grpo/config_dapo.yaml",
        "tiny/grpo/config_dr_grpo.yaml",
        "tiny/grpo/config_gspo.yaml",
        "tiny/sft/config_demo.yaml",
        "tiny/grpo/config_demo.yaml",
    ]
    missing = [name for name in expected if not (RECIPES / name).is_file()]
    assert not missing
    assert list((RECIPES / "OlympicCoder-7B" / "sft").glob("*.yaml"))
    assert list((RECIPES / "OlympicCoder-32B" / "sft").glob("*.yaml"))
    assert FILTER_RECIPES
    assert {p.stem for p in ACCELERATE_CONFIGS} >= {"ddp", "zero2", "zero3", "fsdp"}


@pytest.mark.parametrize("path", TRAINING_RECIPES, ids=_ids(TRAINING_RECIPES))
def test_training_recipe_parses_with_current_names(path, legacy_warnings):
    world_size = _training_processes(path)[0]
    script_args, training_args, model_args = _parse(path, _entry_point_classes(path), world_size)

    assert not legacy_warnings(), f"{_relative(path)} uses legacy names: {legacy_warnings()}"
    raw = yaml.safe_load(path.read_text())
    # Spot-check that the values reached the configs (a key read by the wrong class would keep its default).
    assert model_args.model_name_or_path == raw["model_name_or_path"]
    assert training_args.learning_rate == pytest.approx(raw["learning_rate"])
    assert script_args.dataset_name == raw.get("dataset_name")
    unknown_callbacks = set(training_args.callbacks) - set(CALLBACKS)
    assert not unknown_callbacks, f"{_relative(path)}: unknown callbacks {unknown_callbacks}"
    # Parsing does not check reward names (configs never import rewards; get_reward_funcs does, before the model
    # loads): check them here, so a recipe with a misspelled reward fails in CI rather than on the cluster.
    unknown_rewards = set(getattr(script_args, "reward_funcs", [])) - REWARD_NAMES
    assert not unknown_rewards, f"{_relative(path)}: unknown rewards {unknown_rewards}"
    if not _is_tiny(path):
        assert training_args.output_dir == raw["output_dir"]
        assert str(raw["output_dir"]).startswith("data/"), "cluster runs write under data/ (git-ignored)"


@pytest.mark.parametrize("path", GRPO_RECIPES, ids=_ids(GRPO_RECIPES))
def test_grpo_batch_divides_into_groups_at_the_documented_gpu_count(path):
    """Each optimizer step holds whole groups of `num_generations` completions of one prompt."""
    raw = yaml.safe_load(path.read_text())
    for processes in _training_processes(path):
        completions = raw.get("per_device_train_batch_size", 8) * processes * raw.get("gradient_accumulation_steps", 1)
        assert completions % raw["num_generations"] == 0, (
            f"{_relative(path)} on {processes} training processes: per_device_train_batch_size x processes x "
            f"gradient_accumulation_steps = {completions} completions, not a multiple of num_generations "
            f"({raw['num_generations']}); change one of them (recipes/README.md explains how)"
        )
        # And trl agrees, with the world size it will see on the cluster. A rollout holds steps_per_generation
        # micro-batches (by default one optimizer step's; DAPO, Dr. GRPO and GSPO recipes roll out several steps' worth).
        _, training_args, _ = _parse(path, _GRPO_CLASSES, world_size=processes)
        steps_per_generation = raw.get("steps_per_generation", raw.get("gradient_accumulation_steps", 1))
        rollout = raw.get("per_device_train_batch_size", 8) * processes * steps_per_generation
        assert training_args.generation_batch_size == rollout


def test_grpo_batch_check_catches_a_bad_gpu_count():
    """The check above can fail: the code demo (16 x 5 GPUs x 1 step = 80 completions) does not split into 14s."""
    path = RECIPES / "Qwen2.5-1.5B-Instruct" / "grpo" / "config_demo_code.yaml"
    assert 16 * 5 * 1 % yaml.safe_load(path.read_text())["num_generations"] != 0
    with pytest.raises(ValueError, match="divisible by num_generations"):
        with mock.patch.object(transformers.TrainingArguments, "world_size", new=property(lambda self: 5)):
            OpenR1Parser(_GRPO_CLASSES).parse_args_and_config(
                ["--config", str(path), "--gradient_accumulation_steps", "1"]
            )


_BATCH = re.compile(r"(\d+)[A-Za-z ]* x (\d+) GPUs? x (\d+) accumulation = (\d+)")
_GROUPS = re.compile(r"= (\d+) prompts x (\d+) generations")
_TRAIN_SLURM = re.compile(
    r"slurm/train\.slurm --model (\S+) --task (\S+) --config (\S+)(?: \\\n#\s+)? --accelerator (\S+)"
)


@pytest.mark.parametrize(
    "path",
    [p for p in TRAINING_RECIPES if not _is_tiny(p)],
    ids=_ids([p for p in TRAINING_RECIPES if not _is_tiny(p)]),
)
def test_recipe_header_matches_the_recipe(path):
    """The launch commands and batch arithmetic in a recipe's header are the ones for this very file."""
    header, raw, name = _header(path), yaml.safe_load(path.read_text()), _relative(path)
    processes = _training_processes(path)[0]

    batch = _BATCH.search(header)
    assert batch, f"{name}: the header must spell out the batch as `B x N GPUs x A accumulation = T`"
    per_device, gpus, accumulation, total = map(int, batch.groups())
    assert per_device == raw["per_device_train_batch_size"], name
    assert gpus == processes, name
    assert accumulation == raw["gradient_accumulation_steps"], name
    assert total == per_device * gpus * accumulation, name
    if path.parent.name == "grpo":
        groups = _GROUPS.search(header)
        assert groups, f"{name}: the header must say how the batch splits into `P prompts x G generations`"
        prompts, generations = map(int, groups.groups())
        assert generations == raw["num_generations"] and prompts * generations == total, name

    for config in re.findall(r"--config (recipes/\S+\.yaml)", header):
        assert config == name, f"{name}: its header launches {config}"
    for accelerate_config in re.findall(r"--config_file (\S+)", header):
        assert (REPO_ROOT / accelerate_config).is_file(), f"{name}: {accelerate_config} does not exist"
    slurm = _TRAIN_SLURM.search(header)
    assert slurm, f"{name}: the header must give the `sbatch slurm/train.slurm ...` command"
    model, task, suffix, accelerator = slurm.groups()
    assert RECIPES / model / task / f"config_{suffix}.yaml" == path, f"{name}: train.slurm would read another file"
    assert (RECIPES / "accelerate_configs" / f"{accelerator}.yaml").is_file(), name


def _render(tiny_world: Path, template: str, messages: list[dict], **kwargs) -> str:
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_world / "model")
    return tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False, **kwargs)


TEMPLATED = [p for p in TRAINING_RECIPES + FILTER_RECIPES if "chat_template" in yaml.safe_load(p.read_text())]


@pytest.mark.parametrize("path", TEMPLATED, ids=_ids(TEMPLATED))
def test_recipe_chat_template_renders(path, tiny_world):
    raw = yaml.safe_load(path.read_text())
    template = raw["chat_template"]
    question, answer = "What is 6 x 7?", "<think>6 x 7 = 42</think> 42"
    if path.parent.name == "sft":
        text = _render(
            tiny_world, template, [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        )
        assert question in text and answer in text
        # SFT learns to stop where the recipe's eos_token says a turn ends.
        assert text.rstrip("\n").endswith(answer + raw["eos_token"]), text[-200:]
        with_system = _render(
            tiny_world, template, [{"role": "system", "content": "SYS"}, {"role": "user", "content": question}]
        )
        assert with_system.count("SYS") == 1
    else:
        system = raw.get("system_prompt", "SYS")
        prompt = _render(
            tiny_world,
            template,
            [{"role": "system", "content": system}, {"role": "user", "content": question}],
            add_generation_prompt=True,
        )
        assert system in prompt and question in prompt
        # The format rewards must agree with the template on who writes `<think>`.
        prefilled = prompt.rstrip().endswith("<think>")
        assert prefilled == raw.get("format_think_prefilled", False), (
            f"{_relative(path)}: the template {'opens' if prefilled else 'does not open'} <think> in the prompt but "
            f"format_think_prefilled is {raw.get('format_think_prefilled', False)}"
        )


def _pass_rate_arguments():
    """The pass-rate script's own options class, so the recipes are checked against what the script parses."""
    sys.path.insert(0, str(REPO_ROOT / "scripts" / "pass_rate_filtering"))
    try:
        from compute_pass_rate import PassRateArguments
    finally:
        sys.path.pop(0)
    return PassRateArguments


@pytest.mark.parametrize("path", FILTER_RECIPES, ids=_ids(FILTER_RECIPES))
def test_dataset_filtering_recipe_parses(path, legacy_warnings):
    filter_args, script_args, training_args, model_args = _parse(path, (_pass_rate_arguments(), *_GRPO_CLASSES))
    assert not legacy_warnings(), f"{_relative(path)} uses legacy names: {legacy_warnings()}"
    assert 0 <= filter_args.pass_rate_min <= filter_args.pass_rate_max <= 1
    assert filter_args.output_dataset_name, "a filtering run must say where the kept problems go"
    assert training_args.num_generations >= 2, "a pass rate needs several generations per problem"
    assert len(training_args.reward_weights or script_args.reward_funcs) == len(script_args.reward_funcs)
    assert not set(script_args.reward_funcs) - REWARD_NAMES, f"{_relative(path)}: unknown rewards"


def test_unknown_recipe_key_is_rejected(tmp_path):
    """The recipe checks above mean something only because the parser refuses a key no config knows."""
    recipe = tmp_path / "config_typo.yaml"
    text = (RECIPES / "OlympicCoder-7B" / "sft" / "config_v00.00.yaml").read_text()
    recipe.write_text(text.replace("learning_rate:", "learning_rte:"))
    with pytest.raises(ValueError, match="learning_rte"):
        _parse(recipe, (ScriptArguments, SFTConfig, ModelConfig))


# --- accelerate configs -------------------------------------------------------------------------------------------


def _launch_args(config: Path, num_processes: int = 8):
    """`accelerate launch --config_file <config> ...` resolved the way accelerate resolves it, without launching."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    argv = ["--config_file", str(config), "--num_processes", str(num_processes), "src/open_r1/sft.py"]
    args, defaults, _ = _validate_launch_command(launch_command_parser().parse_args(argv))
    return args, defaults


@pytest.mark.parametrize("path", ACCELERATE_CONFIGS, ids=_ids(ACCELERATE_CONFIGS))
def test_accelerate_config_keys_are_known_to_accelerate(path):
    from accelerate.commands.launch import launch_command_parser

    raw = yaml.safe_load(path.read_text())
    # Top-level keys are checked by accelerate's ClusterConfig (it raises on unknown ones, see _launch_args); nested
    # ones are copied onto the launch arguments unchecked, so a typo there would be silently ignored.
    launch_options = {action.dest for action in launch_command_parser()._actions}
    for section in ("deepspeed_config", "fsdp_config"):
        unknown = [key for key in raw.get(section, {}) if key not in launch_options]
        assert not unknown, f"{_relative(path)}: {section} keys {unknown} are not `accelerate launch` options"
    args, _ = _launch_args(path)
    assert args.num_processes == 8 and args.mixed_precision == "bf16"


def test_ddp_config_launches_plain_data_parallel():
    args, _ = _launch_args(RECIPES / "accelerate_configs" / "ddp.yaml", num_processes=2)
    assert args.multi_gpu and not args.use_deepspeed and not args.use_fsdp
    assert args.num_processes == 2, "--num_processes on the command line overrides the file"


@pytest.mark.parametrize("stage", [2, 3])
def test_zero_config_builds_the_deepspeed_plugin(stage):
    """What `accelerate launch` would hand DeepSpeed (built from the env the launcher exports; nothing runs)."""
    from accelerate.utils import DeepSpeedPlugin
    from accelerate.utils.launch import prepare_deepspeed_cmd_env

    args, defaults = _launch_args(RECIPES / "accelerate_configs" / f"zero{stage}.yaml")
    assert args.use_deepspeed
    args.deepspeed_fields_from_accelerate_config = ",".join(defaults.deepspeed_config)
    _, env = prepare_deepspeed_cmd_env(args)
    with mock.patch.dict(os.environ, env):
        plugin = DeepSpeedPlugin()
    zero = plugin.deepspeed_config["zero_optimization"]
    assert plugin.zero_stage == stage and zero["stage"] == stage
    assert zero["offload_optimizer"]["device"] == "none" and zero["offload_param"]["device"] == "none"
    # ZeRO-3 must save an ordinary 16-bit checkpoint and build the model sharded; ZeRO-2 needs neither.
    assert zero["stage3_gather_16bit_weights_on_model_save"] is (stage == 3)
    assert plugin.zero3_init_flag is (stage == 3)


def test_fsdp_config_builds_an_fsdp2_plugin():
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.launch import prepare_multi_gpu_env

    args, _ = _launch_args(RECIPES / "accelerate_configs" / "fsdp.yaml")
    assert args.use_fsdp
    env = prepare_multi_gpu_env(args)
    assert env["ACCELERATE_USE_FSDP"] == "true" and env["FSDP_VERSION"] == "2"
    with mock.patch.dict(os.environ, env):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2
    assert plugin.reshard_after_forward is True  # full sharding
    assert plugin.state_dict_type.name == "FULL_STATE_DICT"
    assert plugin.auto_wrap_policy is not None
