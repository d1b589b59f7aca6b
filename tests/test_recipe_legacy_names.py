"""Every legacy name of open-r1's published recipes still means what it meant, in a recipe and on the command line.

A recipe copied from open-r1 uses trl-0.18-era names. Each renamed option must land, with its value, on the field
that now does the job (a rename that silently dropped the value would train with the default: a different run). Each
dropped option must be ignored with a warning, and on the command line its value must be skipped too, or argparse
would read that value as a stray argument, or worse, as the value of the next option.

The expectations below are written out by hand, from what each option did in open-r1's recipes, not read from the
parser's tables; the last test only checks that no legacy name escapes this list.
"""

import logging

import pytest
import torch
import yaml
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils import recipe_parser
from open_r1.utils.recipe_parser import OpenR1Parser


SFT = (ScriptArguments, SFTConfig, ModelConfig)
GRPO = (GRPOScriptArguments, GRPOConfig, ModelConfig)

# Liger kernels need CUDA: without a GPU the config turns `use_liger_kernel` off again, saying so in a warning.
LIGER = object()

# old key, a value a published recipe could give it, the classes that read it, which parsed config holds it
# (0 script, 1 training, 2 model), the current field, and the value that field must hold.
RENAMES = [
    ("max_seq_length", 77, SFT, 1, "max_length", 77),
    ("torch_dtype", "bfloat16", SFT, 2, "dtype", "bfloat16"),
    ("max_prompt_length", 321, GRPO, 0, "max_prompt_tokens", 321),
    ("use_liger_loss", True, GRPO, 1, "use_liger_kernel", LIGER),
    ("wandb_log_unique_prompts", True, GRPO, 1, "log_unique_prompts", True),
    ("vllm_guided_decoding_regex", r"\d+", GRPO, 1, "vllm_structured_outputs_regex", r"\d+"),
    ("evaluation_strategy", "epoch", SFT, 1, "eval_strategy", "epoch"),
    ("no_cuda", True, SFT, 1, "use_cpu", True),
    ("warmup_ratio", 0.25, SFT, 1, "warmup_steps", 0.25),
    ("use_liger", True, SFT, 1, "use_liger_kernel", LIGER),
    ("vllm_max_model_len", 4096, GRPO, 1, "vllm_max_model_length", 4096),
    ("per_gpu_train_batch_size", 3, SFT, 1, "per_device_train_batch_size", 3),
    ("per_gpu_eval_batch_size", 5, SFT, 1, "per_device_eval_batch_size", 5),
    ("push_to_hub_model_id", "me/model", SFT, 1, "hub_model_id", "me/model"),
    ("push_to_hub_token", "hf_secret", SFT, 1, "hub_token", "hf_secret"),
    ("torchdynamo", "eager", SFT, 1, "torch_compile_backend", "eager"),
    ("preprocessing_num_workers", 12, SFT, 1, "dataset_num_proc", 12),
    ("text_column", "content", SFT, 1, "dataset_text_field", "content"),
]

# Dropped keys with a value a published recipe gives them.
DROPS = [
    ("overwrite_output_dir", True),
    ("logging_dir", "logs/run"),
    ("save_safetensors", True),
    ("vllm_device", "cuda:7"),
    ("vllm_enable_prefix_caching", True),
    ("fp16_backend", "auto"),
    ("half_precision_backend", "auto"),
    ("fp16_opt_level", "O1"),
    ("include_tokens_per_second", True),
    ("jit_mode_eval", False),
    ("use_ipex", False),
    ("use_legacy_prediction_loop", False),
    ("past_index", -1),
    ("ray_scope", "last"),
    ("use_mps_device", False),
    ("mp_parameters", "x"),
    ("tpu_num_cores", 8),
    ("push_to_hub_organization", "open-r1"),
    ("vllm_dtype", "bfloat16"),
    ("dataset_batch_size", 1000),
    ("num_of_sequences", 1024),
    ("chars_per_token", 3.6),
    ("num_processes", 7),
    ("remote_gen_model_url", "26.0.160.225"),
    ("remote_gen_model_port", "30010"),
    ("remote_gen_model_n_gpus", 8),
    ("auto_insert_empty_system_msg", True),
    ("model_code_revision", "main"),
    ("base_model_revision", "main"),
]


def _recipe(tmp_path, **options) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "dataset_name": "data.jsonl", **options}))
    return str(path)


def _cli_value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _value(parsed: tuple, where: int, field: str):
    value = getattr(parsed[where], field)
    return getattr(value, "value", value)  # enums (eval_strategy) compare by their value


def _check(parsed: tuple, where: int, field: str, expected, caplog) -> None:
    if expected is LIGER and not torch.cuda.is_available():
        assert _value(parsed, where, field) is False
        assert any("use_liger_kernel off" in r.getMessage() for r in caplog.records)
        return
    assert _value(parsed, where, field) == (True if expected is LIGER else expected)


@pytest.fixture
def parser_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.utils.recipe_parser")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.recipe_parser"]


@pytest.mark.parametrize("old, value, classes, where, new, expected", RENAMES, ids=[r[0] for r in RENAMES])
def test_a_legacy_name_in_a_recipe_sets_the_current_field(
    tmp_path, caplog, parser_warnings, old, value, classes, where, new, expected
):
    parsed = OpenR1Parser(classes).parse_args_and_config(["--config", _recipe(tmp_path, **{old: value})])
    _check(parsed, where, new, expected, caplog)
    warnings = parser_warnings()
    assert len(warnings) == 1 and f"`{old}`" in warnings[0] and f"`{new}`" in warnings[0], warnings


@pytest.mark.parametrize("old, value, classes, where, new, expected", RENAMES, ids=[r[0] for r in RENAMES])
def test_a_legacy_name_on_the_command_line_sets_the_current_field(
    tmp_path, caplog, old, value, classes, where, new, expected
):
    caplog.set_level(logging.WARNING)
    recipe = _recipe(tmp_path)
    # Both spellings argparse accepts: `--key value` and `--key=value`; the option after it must keep its own value.
    for cli in (
        [f"--{old}", _cli_value(value), "--seed", "1234"],
        [f"--{old}={_cli_value(value)}", "--seed", "1234"],
    ):
        parsed = OpenR1Parser(classes).parse_args_and_config(["--config", recipe, *cli])
        _check(parsed, where, new, expected, caplog)
        assert parsed[1].seed == 1234, cli


@pytest.mark.parametrize("old, value", DROPS, ids=[d[0] for d in DROPS])
@pytest.mark.parametrize("classes", [SFT, GRPO], ids=["sft", "grpo"])
def test_a_dropped_option_in_a_recipe_is_ignored_with_a_warning(tmp_path, parser_warnings, old, value, classes):
    parsed = OpenR1Parser(classes).parse_args_and_config(
        ["--config", _recipe(tmp_path, **{old: value, "learning_rate": 0.125})]
    )
    assert parsed[1].learning_rate == 0.125
    warnings = parser_warnings()
    assert len(warnings) == 1 and f"`{old}`" in warnings[0] and "ignored" in warnings[0], warnings


@pytest.mark.parametrize("old, value", DROPS, ids=[d[0] for d in DROPS])
def test_a_dropped_option_on_the_command_line_takes_its_value_with_it(tmp_path, parser_warnings, old, value):
    recipe = _recipe(tmp_path)
    value = _cli_value(value)
    command_lines = [
        [f"--{old}", value, "--learning_rate", "0.125"],  # value as its own argument: skipped
        [f"--{old}={value}", "--learning_rate", "0.125"],  # value attached
        ["--learning_rate", "0.125", f"--{old}", value],  # last on the line
        ["--learning_rate", "0.125", f"--{old}"],  # a bare flag: nothing to skip
        [f"--{old}", "--learning_rate", "0.125"],  # a bare flag: the next option keeps its value
    ]
    for cli in command_lines:
        parsed = OpenR1Parser(GRPO).parse_args_and_config(["--config", recipe, *cli])
        assert parsed[1].learning_rate == 0.125, cli
    assert len(parser_warnings()) == len(command_lines)


def test_a_dropped_option_does_not_swallow_a_real_positional_mistake(tmp_path):
    # Only one value is skipped: a second stray word is still reported, not silently eaten.
    with pytest.raises(ValueError, match="stray"):
        OpenR1Parser(SFT).parse_args_and_config(
            ["--config", _recipe(tmp_path), "--logging_dir", "logs", "stray", "--learning_rate", "0.1"]
        )


def test_every_legacy_name_of_the_parser_is_checked_here():
    assert {r[0] for r in RENAMES} == set(recipe_parser.RENAMED_FIELDS), "add the new legacy name to RENAMES"
    assert {d[0] for d in DROPS} == set(recipe_parser.DROPPED_FIELDS), "add the new dropped name to DROPS"
