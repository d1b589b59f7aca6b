"""Recipes and command lines are validated before anything heavy happens, with errors that say what to fix."""

import logging

import pytest
import yaml
from trl import ModelConfig

from open_r1.configs import (
    GRPOConfig,
    GRPOScriptArguments,
    ScriptArguments,
    SFTConfig,
    check_reward_weights,
    parse_dataset_mixture,
)
from open_r1.utils.recipe_parser import OpenR1Parser


def write_recipe(tmp_path, **options):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "dataset_name": "data.jsonl", **options}))
    return str(path)


def parse_grpo(tmp_path, *cli, **options):
    parser = OpenR1Parser((GRPOScriptArguments, GRPOConfig, ModelConfig))
    return parser.parse_args_and_config(["--config", write_recipe(tmp_path, **options), *cli])


def parse_sft(tmp_path, *cli, **options):
    parser = OpenR1Parser((ScriptArguments, SFTConfig, ModelConfig))
    return parser.parse_args_and_config(["--config", write_recipe(tmp_path, **options), *cli])


# --- dataset mixtures ---------------------------------------------------------------------------------------------


def test_mixture_is_parsed_into_configs():
    mixture = parse_dataset_mixture(
        {
            "datasets": [
                {"id": "a.jsonl", "columns": ["messages"], "weight": 0.5},
                {"id": "org/b", "config": "math", "split": "test", "columns": ["messages"]},
            ],
            "seed": 7,
            "test_split_size": 0.1,
        }
    )
    assert [d.id for d in mixture.datasets] == ["a.jsonl", "org/b"]
    assert mixture.datasets[0].weight == 0.5 and mixture.datasets[1].weight == 1.0
    assert mixture.datasets[1].config == "math" and mixture.datasets[1].split == "test"
    assert mixture.seed == 7 and mixture.test_split_size == 0.1


def test_mixture_from_command_line_json():
    mixture = parse_dataset_mixture('{"datasets": [{"id": "a.jsonl"}]}')
    assert mixture.datasets[0].id == "a.jsonl"


@pytest.mark.parametrize(
    "mixture, message",
    [
        ({}, "needs a `datasets` key"),
        ({"datasets": []}, "non-empty list"),
        ({"datasets": [{"config": "x"}]}, "has no `id`"),
        ({"datasets": [{"id": "a", "weight": 0}]}, "must lie in (0, 1]"),
        ({"datasets": [{"id": "a", "weight": 1.5}]}, "must lie in (0, 1]"),
        ({"datasets": [{"id": "a", "weight": -0.2}]}, "must lie in (0, 1]"),
        ({"datasets": [{"id": "a", "columns": ["x"]}, {"id": "b", "columns": ["y"]}]}, "same columns"),
        ({"datasets": [{"id": "a", "wieght": 0.5}]}, "unknown keys ['wieght']"),
        ({"datasets": [{"id": "a"}], "test_split_size": 0}, "test_split_size"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_mixture_fails_with_a_message_naming_the_problem(mixture, message):
    with pytest.raises(ValueError) as error:
        parse_dataset_mixture(mixture)
    assert message in str(error.value)
    assert "dataset_mixture" in str(error.value)


def test_script_arguments_need_some_data():
    with pytest.raises(ValueError, match="dataset_name"):
        ScriptArguments()


def test_mixture_without_datasets_fails_in_the_recipe(tmp_path):
    with pytest.raises(ValueError, match="needs a `datasets` key"):
        parse_sft(tmp_path, dataset_mixture={"seed": 1})


# --- rewards ------------------------------------------------------------------------------------------------------


def test_reward_weights_must_match_rewards(tmp_path):
    script_args, training_args, _ = parse_grpo(tmp_path, reward_funcs=["accuracy", "format"], reward_weights=[1.0])
    with pytest.raises(ValueError, match="one weight per reward"):
        check_reward_weights(script_args, training_args)


# --- recipe keys --------------------------------------------------------------------------------------------------


def test_unknown_recipe_key_is_rejected_with_suggestions(tmp_path):
    with pytest.raises(ValueError) as error:
        parse_sft(tmp_path, learning_rat=1e-4)
    assert "learning_rat" in str(error.value)
    assert "did you mean learning_rate" in str(error.value)


def test_unknown_command_line_flag_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="num_train_epoch"):
        parse_sft(tmp_path, "--num_train_epoch", "3")


def test_command_line_overrides_recipe(tmp_path):
    _, training_args, _ = parse_sft(tmp_path, "--learning_rate", "0.5", learning_rate=0.1)
    assert training_args.learning_rate == 0.5


def test_legacy_names_are_renamed_with_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        _, training_args, model_args = parse_sft(tmp_path, max_seq_length=77, torch_dtype="bfloat16")
    assert training_args.max_length == 77
    assert model_args.dtype == "bfloat16"
    warnings = [r.getMessage() for r in caplog.records if "legacy name" in r.getMessage()]
    assert len(warnings) == 2
    assert any("`max_seq_length`" in w and "`max_length`" in w for w in warnings)
    assert any("`torch_dtype`" in w and "`dtype`" in w for w in warnings)


def test_legacy_name_on_command_line(tmp_path):
    _, training_args, _ = parse_sft(tmp_path, "--max_seq_length", "33")
    assert training_args.max_length == 33


def test_legacy_max_prompt_length_still_limits_prompts(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        script_args, _, _ = parse_grpo(tmp_path, max_prompt_length=512)
    assert script_args.max_prompt_tokens == 512
    assert any("max_prompt_tokens" in r.getMessage() for r in caplog.records)


def test_removed_options_of_published_recipes_are_dropped_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        parse_sft(tmp_path, overwrite_output_dir=True)
    assert any("overwrite_output_dir" in r.getMessage() and "ignored" in r.getMessage() for r in caplog.records)


def test_old_and_new_name_together_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="keep only `max_length`"):
        parse_sft(tmp_path, max_seq_length=10, max_length=20)


# --- hardware -----------------------------------------------------------------------------------------------------


def test_bf16_is_turned_off_with_a_warning_on_a_cpu(tmp_path, caplog):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: bf16 stays on")
    with caplog.at_level(logging.WARNING):
        _, training_args, _ = parse_sft(tmp_path, bf16=True)
    assert training_args.bf16 is False
    assert any("bf16" in r.getMessage() and "CPU" in r.getMessage() for r in caplog.records)


def test_open_r1_fields_are_available_on_both_configs(tmp_path):
    options = dict(
        benchmarks=["aime24"],
        callbacks=["push_to_hub_revision"],
        chat_template="{{ messages }}",
        system_prompt="Think first.",
        hub_model_revision="v1",
        overwrite_hub_revision=True,
        push_to_hub_revision=True,
        wandb_entity="me",
        wandb_project="r1",
        wandb_run_group="g",
    )
    _, sft_args, _ = parse_sft(tmp_path, **options)
    _, grpo_args, _ = parse_grpo(tmp_path, num_completions_to_print=2, **options)
    for args in (sft_args, grpo_args):
        for key, value in options.items():
            assert getattr(args, key) == value
    assert grpo_args.num_completions_to_print == 2


# One rank of a multi-process CPU run (what `accelerate launch --num_processes N` and train.slurm's multi-node jobs
# start on machines without GPUs), in its own interpreter: it joins a gloo process group, which must not leak into
# the other tests. It saves an optimizer-like state and loads it back the way transformers resumes a checkpoint.
_RESUME_ON_A_CPU_RANK = """
import os, sys, torch
from open_r1.configs import GRPOConfig, SFTConfig

path = os.path.join(sys.argv[1], "optimizer.pt")
torch.save({"state": {0: {"exp_avg": torch.ones(3)}}}, path)
for config_class in (SFTConfig, GRPOConfig):
    args = config_class(output_dir=sys.argv[1], use_cpu=True, report_to=[])
    # transformers' Trainer._load_optimizer_and_scheduler, when world_size > 1:
    state = torch.load(path, map_location=args.device, weights_only=True)
    print(config_class.__name__, args.device, state["state"][0]["exp_avg"].sum().item())
"""


@pytest.mark.slow
def test_a_cpu_rank_of_a_multi_process_run_can_resume_its_optimizer(tmp_path):
    """accelerate gives such a rank the device `cpu:0`, which torch.load refuses as map_location: every rank of a
    requeued multi-process CPU job died resuming. The config hands transformers the plain `cpu` device instead."""
    import socket
    import subprocess
    import sys

    from conftest import REPO_ROOT, entry_point_env

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = entry_point_env()
    env.update(LOCAL_RANK="0", RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    env.pop("CUDA_VISIBLE_DEVICES", None)
    result = subprocess.run(
        [sys.executable, "-c", _RESUME_ON_A_CPU_RANK, str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["SFTConfig", "cpu", "3.0", "GRPOConfig", "cpu", "3.0"], result.stdout


def test_only_a_cpu_device_loses_its_index():
    """GPU ranks keep resuming onto their own GPU (`map_location=cuda:N`); only `cpu:N` becomes `cpu`."""
    import torch

    from open_r1.configs import _device_without_cpu_index

    assert _device_without_cpu_index(torch.device("cpu", 0)) == torch.device("cpu")
    assert _device_without_cpu_index(torch.device("cpu")) == torch.device("cpu")
    assert _device_without_cpu_index(torch.device("cuda", 3)) == torch.device("cuda", 3)


# One process of `accelerate launch --config_file recipes/accelerate_configs/zero3.yaml` on a machine without a GPU:
# the launcher exports the config's DeepSpeed settings and its `mixed_precision: bf16` as environment variables.
_DEEPSPEED_CONFIG_ON_A_CPU = """
import json, os, sys
from open_r1.configs import SFTConfig

args = SFTConfig(output_dir=sys.argv[1], report_to=[])
ds_config = args.deepspeed_plugin.deepspeed_config
print(json.dumps({
    "mixed_precision": args.mixed_precision,
    "bf16": args.bf16,
    "ds_bf16": ds_config["bf16"]["enabled"],
    "ds_stage": ds_config["zero_optimization"]["stage"],
    "DS_ACCELERATOR": os.environ.get("DS_ACCELERATOR"),
}))
"""


@pytest.mark.slow
def test_the_deepspeed_config_of_a_bf16_accelerate_config_trains_in_float32_on_a_cpu(tmp_path):
    """The accelerate configs say bf16; transformers writes the launcher's mixed precision into the DeepSpeed config
    and then refuses `ds bf16.enabled=True vs hf bf16=False`. On a CPU the config turns both off, before that."""
    import json
    import subprocess
    import sys

    import torch
    from conftest import REPO_ROOT, entry_point_env

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: bf16 stays on")
    env = entry_point_env()
    env.update(
        ACCELERATE_USE_DEEPSPEED="true",
        ACCELERATE_DEEPSPEED_ZERO_STAGE="3",
        ACCELERATE_MIXED_PRECISION="bf16",
        ACCELERATE_CONFIG_DS_FIELDS="zero_stage,mixed_precision",
    )
    env.pop("DS_ACCELERATOR", None)
    result = subprocess.run(
        [sys.executable, "-c", _DEEPSPEED_CONFIG_ON_A_CPU, str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "mixed_precision": "no",
        "bf16": False,
        "ds_bf16": False,
        "ds_stage": 3,
        "DS_ACCELERATOR": "cpu",
    }
    warnings = [line for line in result.stderr.splitlines() if "No GPU found, adapted for the CPU" in line]
    assert len(warnings) == 1 and "bf16 mixed precision of the accelerate config off" in warnings[0], warnings
    assert "DeepSpeed ZeRO-3 on its cpu accelerator" in warnings[0]
