"""The command lines of open-r1's README and of the guides written for it parse here, as they did under trl 0.x.

trl 0.x users wrote boolean options as bare flags (`--bf16`, `--gradient_checkpointing`, `--use_vllm`). transformers 5
declares some of them `bool | None` ("pick for the hardware"), for which HfArgumentParser demands a value: the README's
SFT command died with "argument --bf16: expected one argument" before anything ran.
"""

import logging

import pytest
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils.recipe_parser import OpenR1Parser


SFT = (ScriptArguments, SFTConfig, ModelConfig)
GRPO = (GRPOScriptArguments, GRPOConfig, ModelConfig)

# open-r1's README, June 2025: SFT on Mixture-of-Thoughts from the command line alone.
README_SFT_2025_06 = (
    "--model_name_or_path Qwen/Qwen2.5-1.5B-Instruct --dataset_name open-r1/Mixture-of-Thoughts --dataset_config all "
    "--eos_token <|im_end|> --learning_rate 4.0e-5 --num_train_epochs 5 --max_seq_length 32768 "
    "--per_device_train_batch_size 2 --gradient_checkpointing --bf16 --use_liger_kernel "
    "--output_dir data/OpenR1-Distill-7B"
)
# open-r1's README, February 2025: SFT on OpenR1-Math-220k with packing.
README_SFT_2025_02 = (
    "--model_name_or_path Qwen/Qwen2.5-1.5B-Instruct --dataset_name open-r1/OpenR1-Math-220k --learning_rate 1.0e-5 "
    "--num_train_epochs 1 --packing --max_seq_length 16384 --per_device_train_batch_size 16 --gradient_checkpointing "
    "--bf16 --output_dir data/Qwen2.5-1.5B-Open-R1-Distill"
)
# open-r1's README, January 2025: GRPO from the command line (trl 0.14).
README_GRPO_2025_01 = (
    "--output_dir DeepSeek-R1-Distill-Qwen-7B-GRPO --model_name_or_path deepseek-ai/DeepSeek-R1-Distill-Qwen-7B "
    "--dataset_name AI-MO/NuminaMath-TIR --max_prompt_length 256 --per_device_train_batch_size 1 "
    "--gradient_accumulation_steps 16 --logging_steps 10 --bf16"
)
# Guides of the trl 0.15-0.17 era: vLLM generation switched on from the command line, tf32 on Ampere GPUs.
GUIDE_GRPO_VLLM = (
    "--model_name_or_path Qwen/Qwen2.5-1.5B-Instruct --dataset_name AI-MO/NuminaMath-TIR --output_dir data/grpo "
    "--per_device_train_batch_size 8 --num_generations 8 --bf16 --use_vllm --vllm_device auto "
    "--vllm_gpu_memory_utilization 0.7 --tf32 --gradient_checkpointing --log_completions"
)


@pytest.fixture
def parser_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.utils.recipe_parser")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.recipe_parser"]


@pytest.mark.parametrize(
    "command, classes, legacy",
    [
        (README_SFT_2025_06, SFT, ["max_seq_length"]),
        (README_SFT_2025_02, SFT, ["max_seq_length"]),
        (README_GRPO_2025_01, GRPO, ["max_prompt_length"]),
        (GUIDE_GRPO_VLLM, GRPO, ["vllm_device"]),
    ],
    ids=["readme-sft-2025-06", "readme-sft-2025-02", "readme-grpo-2025-01", "guide-grpo-vllm"],
)
def test_published_command_lines_parse_with_bare_boolean_flags(command, classes, legacy, parser_warnings, caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.configs")
    script_args, training_args, model_args = OpenR1Parser(classes).parse_args_and_config(command.split())
    assert training_args.gradient_checkpointing is True
    # bf16 reached the config as true: on a GPU it stays, on a CPU the fallback turns it off and says so.
    turned_off = any("bf16 mixed precision of the recipe off" in r.getMessage() for r in caplog.records)
    assert training_args.bf16 is True or turned_off
    if "--use_vllm" in command:
        assert training_args.use_vllm is True
    if "--packing" in command:
        assert training_args.packing is True
    warnings = parser_warnings()
    assert len(warnings) == len(legacy) and all(f"`{key}`" in w for key, w in zip(legacy, warnings)), warnings


@pytest.mark.parametrize("spelling", [["--bf16", "false"], ["--bf16=False"], ["--bf16", "no"]])
def test_explicit_boolean_values_still_work(spelling):
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(
        ["--dataset_name", "d", "--output_dir", "o", *spelling, "--learning_rate", "0.5"]
    )
    assert training_args.bf16 is False and training_args.learning_rate == 0.5


def test_bare_flag_of_an_auto_option_means_true_and_its_absence_keeps_auto():
    parser = OpenR1Parser(SFT)
    assert parser.parse_args(["--tf32"]).tf32 is True
    assert parser.parse_args(["--bf16"]).bf16 is True
    assert parser.parse_args([]).bf16 is None  # "auto": the config picks for the hardware
    assert parser.parse_args(["--bf16", "--learning_rate", "0.5"]).learning_rate == 0.5


def test_a_bare_flag_is_still_not_a_licence_for_typos():
    with pytest.raises(ValueError, match="did you mean bf16"):
        OpenR1Parser(SFT).parse_args_and_config(["--dataset_name", "d", "--bf61"])
