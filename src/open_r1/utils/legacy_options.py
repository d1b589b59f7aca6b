# Copyright 2026 The open-r1 reproduction authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Options that recipes of open-r1's history set and that no longer exist under that name, and what they are now.

Every entry was a real option of one of the packages open-r1's recipes were read with in 2025: open-r1's own
configs, trl 0.14-0.19 (`ScriptArguments`, `ModelConfig`, `SFTConfig`, `GRPOConfig`), transformers 4.48-4.52
(`TrainingArguments`) or alignment-handbook (`ModelArguments`, `DataArguments`, its `SFTConfig`), whose recipe
format open-r1 started from. The lists were made by diffing those classes' fields against the pinned versions.

Three kinds:
- RENAMED_FIELDS: same meaning, new name; the value is kept.
- CONVERTED_FIELDS: same intent, expressed differently now (a flag that became a choice, a key that moved into a
  dict option); the value is converted.
- DROPPED_FIELDS: nothing to carry over, because the behaviour is now the only one, it is set elsewhere (the
  launcher), or the feature is gone; the warning says where the setting lives now.
A key in none of them (and in no config) is a typo and stays an error.

The dataset keys of alignment-handbook (`dataset_mixer`, `dataset_splits`, `dataset_configs`) depend on each other
and are translated together by `translate_dataset_keys`.
"""

import logging
from collections.abc import Callable
from typing import Any


# The warnings are the recipe parser's: they come out under its name, where users (and tests) look for them.
logger = logging.getLogger("open_r1.utils.recipe_parser")

# Old name -> (new name, why). Values keep their meaning under the new name.
RENAMED_FIELDS: dict[str, tuple[str, str]] = {
    "max_seq_length": ("max_length", "trl 0.20 renamed SFTConfig.max_seq_length"),
    "torch_dtype": ("dtype", "transformers/trl renamed torch_dtype"),
    "max_prompt_length": (
        "max_prompt_tokens",
        "trl 1.x removed GRPOConfig.max_prompt_length; open-r1 drops longer prompts instead of cutting their start",
    ),
    "use_liger_loss": ("use_liger_kernel", "trl 1.x folded the Liger GRPO loss into use_liger_kernel"),
    "wandb_log_unique_prompts": ("log_unique_prompts", "trl 1.x logs unique prompts natively"),
    "vllm_guided_decoding_regex": ("vllm_structured_outputs_regex", "trl followed vLLM's rename"),
    "vllm_max_model_len": ("vllm_max_model_length", "trl 0.18 renamed it"),
    "evaluation_strategy": ("eval_strategy", "transformers renamed evaluation_strategy"),
    "no_cuda": ("use_cpu", "transformers renamed no_cuda"),
    "warmup_ratio": (
        "warmup_steps",
        "transformers 5 folded warmup_ratio into warmup_steps (a float < 1 is a fraction)",
    ),
    "use_liger": ("use_liger_kernel", "old trl name of use_liger_kernel"),
    "per_gpu_train_batch_size": ("per_device_train_batch_size", "transformers removed the per_gpu_ names"),
    "per_gpu_eval_batch_size": ("per_device_eval_batch_size", "transformers removed the per_gpu_ names"),
    "push_to_hub_model_id": ("hub_model_id", "transformers removed the push_to_hub_ names"),
    "push_to_hub_token": ("hub_token", "transformers removed the push_to_hub_ names"),
    "torchdynamo": ("torch_compile_backend", "transformers replaced torchdynamo with torch_compile_backend"),
    "preprocessing_num_workers": ("dataset_num_proc", "alignment-handbook's name; trl calls it dataset_num_proc"),
    "text_column": ("dataset_text_field", "alignment-handbook's name; trl calls it dataset_text_field"),
}


SKIP = object()  # a converted value meaning "the default already does this": nothing is set


def _only_if_true(value_when_true: Any) -> Callable[[Any], Any]:
    """A boolean flag that became a choice: true selects `value_when_true`, false leaves the default."""
    return lambda flag: value_when_true if flag else SKIP


def _into_dict(key: str) -> Callable[[Any], dict[str, Any]]:
    """A flat option that moved into a dict option (merged with the dict the recipe may already set)."""
    return lambda value: {key: value}


def _truncation_mode(side: Any) -> str:
    if side not in ("left", "right"):
        raise ValueError(f"`truncation_side` must be left or right, got {side!r}.")
    return "keep_end" if side == "left" else "keep_start"


# Old name -> (new name, converter, why). The converter returns the value under the new name, or SKIP.
CONVERTED_FIELDS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "dataset_configs": (
        "dataset_config",
        lambda configs: _single_config(configs),
        "alignment-handbook's list of configs, one per dataset; with one dataset it is trl's dataset_config",
    ),
    "gradient_checkpointing_use_reentrant": (
        "gradient_checkpointing_kwargs",
        _into_dict("use_reentrant"),
        "trl 0.x ScriptArguments option; transformers reads it from gradient_checkpointing_kwargs.use_reentrant",
    ),
    "use_flash_attention_2": (
        "attn_implementation",
        _only_if_true("flash_attention_2"),
        "alignment-handbook's flag; transformers selects attention with attn_implementation",
    ),
    "adafactor": ("optim", _only_if_true("adafactor"), "transformers selects the optimizer with optim"),
    "group_by_length": (
        "train_sampling_strategy",
        _only_if_true("group_by_length"),
        "transformers 5 selects the sampler with train_sampling_strategy",
    ),
    "include_inputs_for_metrics": (
        "include_for_metrics",
        _only_if_true(["inputs"]),
        "transformers lists what compute_metrics gets in include_for_metrics",
    ),
    "tpu_metrics_debug": ("debug", _only_if_true("tpu_metrics_debug"), "transformers moved it into debug"),
    "split_batches": (
        "accelerator_config",
        _into_dict("split_batches"),
        "transformers moved it into accelerator_config",
    ),
    "dispatch_batches": (
        "accelerator_config",
        _into_dict("dispatch_batches"),
        "transformers moved it into accelerator_config",
    ),
    "fsdp_min_num_params": ("fsdp_config", _into_dict("min_num_params"), "transformers moved it into fsdp_config"),
    "fsdp_transformer_layer_cls_to_wrap": (
        "fsdp_config",
        _into_dict("transformer_layer_cls_to_wrap"),
        "transformers moved it into fsdp_config",
    ),
    "code_eval_partial_grading": (
        "code_eval_scoring_mode",
        lambda partial: "partial" if partial else "pass_fail",
        "open-r1's Codeforces experiments (2025-04); the Codeforces reward's scoring is code_eval_scoring_mode",
    ),
    "truncation_side": (
        "truncation_mode",
        _truncation_mode,
        "alignment-handbook's tokenizer side; trl's SFTConfig keeps the start (right) or the end (left)",
    ),
}

_LAUNCHER = "the launcher decides it: `accelerate launch --num_processes N` (slurm/train.slurm computes it)"

# Old names with no successor: they are dropped with a warning saying why, because the behaviour they asked for is
# now the only behaviour (or is configured elsewhere), and failing on them would break every published recipe.
DROPPED_FIELDS: dict[str, str] = {
    # transformers 4.x TrainingArguments
    "overwrite_output_dir": "transformers 5 removed it; a run resumes its own last checkpoint in output_dir "
    "and refuses another run's, so set start_over: true or change output_dir to start afresh",
    "logging_dir": "transformers 5 removed it; TensorBoard logs go under output_dir",
    "save_safetensors": "transformers 5 always saves safetensors",
    "fp16_backend": "transformers 5 removed apex; mixed precision is torch.amp's",
    "half_precision_backend": "transformers 5 removed apex; mixed precision is torch.amp's",
    "fp16_opt_level": "transformers 5 removed apex (opt levels were apex's)",
    "include_tokens_per_second": "transformers 5 removed it; trl logs token throughput itself",
    "jit_mode_eval": "transformers 5 removed TorchScript evaluation",
    "use_ipex": "transformers 5 removed Intel Extension for PyTorch support",
    "use_legacy_prediction_loop": "transformers 5 removed the legacy prediction loop",
    "past_index": "transformers 5 removed it (it served models with mems, e.g. TransformerXL)",
    "ray_scope": "transformers 5 removed it (Ray Tune hyperparameter search)",
    "use_mps_device": "transformers picks Apple's MPS device by itself",
    "mp_parameters": "it carried SageMaker launcher arguments; " + _LAUNCHER,
    "tpu_num_cores": "it was a TPU launcher setting; " + _LAUNCHER,
    "push_to_hub_organization": "transformers removed it; put the organization in hub_model_id (`org/name`)",
    # trl 0.x
    "vllm_device": "trl 1.x places vLLM itself (vllm_mode: colocate, or server via `trl vllm-serve`)",
    "vllm_enable_prefix_caching": "trl 1.x always enables vLLM prefix caching",
    "vllm_dtype": "trl 1.x loads vLLM in the dtype of the model's config",
    "dataset_batch_size": "trl 0.20 removed it with ConstantLengthDataset; packing packs to max_length tokens",
    "num_of_sequences": "trl 0.20 removed it with ConstantLengthDataset; packing packs to max_length tokens",
    "chars_per_token": "trl 0.20 removed it with ConstantLengthDataset; packing packs to max_length tokens",
    # open-r1 recipes and experiments
    "num_processes": _LAUNCHER,
    "remote_gen_model_url": "open-r1's experimental remote generation; use `use_vllm: true`, `vllm_mode: server` "
    "and vllm_server_host (a `trl vllm-serve` server)",
    "remote_gen_model_port": "open-r1's experimental remote generation; use vllm_mode: server and vllm_server_port",
    "remote_gen_model_n_gpus": "open-r1's experimental remote generation; the vLLM server has its own GPUs",
    # alignment-handbook
    "auto_insert_empty_system_msg": "chat templates here are applied as written (set system_prompt for GRPO)",
    "model_code_revision": "transformers loads code from model_revision",
    "base_model_revision": "LoRA adapters load the base model of model_name_or_path at model_revision",
}


def _single_config(configs: Any) -> Any:
    if isinstance(configs, str):
        return configs
    if isinstance(configs, list) and len(configs) == 1:
        return configs[0]
    raise ValueError(
        f"`dataset_configs` lists {configs!r}: several configs belong to several datasets, which is a mixture. "
        "Write a `dataset_mixture` with one `config` per dataset, or set `dataset_config` to one config."
    )


def legacy_kind(key: str) -> str | None:
    """'renamed', 'converted', 'dropped' or None for a key that was never an option."""
    if key in RENAMED_FIELDS:
        return "renamed"
    if key in CONVERTED_FIELDS:
        return "converted"
    if key in DROPPED_FIELDS:
        return "dropped"
    return None


def translate_legacy(key: str, value: Any, known: set[str], source: str) -> dict[str, Any]:
    """The current options a legacy `key: value` stands for ({} when dropped), warning once with the new name.

    A rename whose new option this entry point does not have (e.g. dataset_num_proc for GRPO) is dropped with a
    warning saying so, like the options that have no successor at all.
    """
    if key in DROPPED_FIELDS:
        logger.warning("%s: `%s` is ignored: %s. Remove it to silence this.", source, key, DROPPED_FIELDS[key])
        return {}
    if key in RENAMED_FIELDS:
        new, why = RENAMED_FIELDS[key]
        converted = value
    else:
        new, convert, why = CONVERTED_FIELDS[key]
        converted = convert(value)
    if new not in known:
        logger.warning(
            "%s: `%s` is ignored: its successor `%s` (%s) is not an option of this entry point. Remove it to "
            "silence this.",
            source,
            key,
            new,
            why,
        )
        return {}
    if converted is SKIP:
        logger.warning(
            "%s: `%s: %s` is ignored: it asks for the default of `%s` (%s). Remove it to silence this.",
            source,
            key,
            value,
            new,
            why,
        )
        return {}
    shown = "" if key in RENAMED_FIELDS else f": {converted!r}"
    logger.warning(
        "%s: `%s` is a legacy name, read as `%s`%s (%s). Rename it to silence this.", source, key, new, shown, why
    )
    return {new: converted}


# --- alignment-handbook's dataset keys -----------------------------------------------------------------------------

DATASET_KEYS = ("dataset_mixer", "dataset_splits", "dataset_configs")


def translate_dataset_keys(config: dict[str, Any], source: str) -> dict[str, Any]:
    """Replaces alignment-handbook's dataset_mixer/dataset_splits/dataset_configs with today's dataset options.

    alignment-handbook loaded, for each split in `dataset_splits`, that split of every dataset of `dataset_mixer`
    (id -> fraction), with `dataset_configs[i]` as the config of the i-th dataset; the fraction subsampled the train
    splits only, and the splits named like `test` became the evaluation set. Today that is:
    - one dataset, all of it: dataset_name (+ dataset_config, dataset_train_split, dataset_test_split), which keeps
      the test split as the evaluation set;
    - anything else: a dataset_mixture, one entry per dataset with its fraction as `weight`. A mixture has no named
      test splits (test_split_size holds out a fraction instead), which the warning says when a test split was set.
    """
    if not any(key in config for key in DATASET_KEYS):
        return config
    config = dict(config)
    mixer = config.pop("dataset_mixer", None)
    splits = config.pop("dataset_splits", None)
    configs = config.pop("dataset_configs", None)
    if isinstance(splits, str):
        splits = [name.strip() for name in splits.split(",")]
    if splits is not None and (not isinstance(splits, list) or not all(isinstance(s, str) for s in splits)):
        raise ValueError(f"{source}: `dataset_splits` must be a list of split names, got {splits!r}.")
    train_splits = [s for s in splits or ["train"] if "train" in s] or ["train"]
    test_splits = [s for s in splits or [] if "test" in s]

    if mixer is None:
        # No mixture: the keys describe the single dataset of dataset_name.
        new = {}
        if configs is not None:
            new.update(translate_legacy("dataset_configs", configs, {"dataset_config"}, source))
        if splits is not None:
            new["dataset_train_split"] = train_splits[0]
            if test_splits:
                new["dataset_test_split"] = test_splits[0]
            logger.warning(
                "%s: `dataset_splits: %s` is a legacy name, read as %s. Rename it to silence this.",
                source,
                splits,
                ", ".join(f"`{k}: {v}`" for k, v in new.items() if k != "dataset_config"),
            )
        return _merge_new_keys(config, new, source)

    if not isinstance(mixer, dict) or not mixer:
        raise ValueError(f"{source}: `dataset_mixer` must map dataset ids to fractions, got {mixer!r}.")
    if isinstance(configs, str):
        configs = [configs]
    if configs is not None and len(configs) != len(mixer):
        raise ValueError(
            f"{source}: `dataset_configs` has {len(configs)} entries for the {len(mixer)} datasets of "
            "`dataset_mixer`; give one config per dataset, in the same order."
        )
    dataset_ids, fractions = list(mixer), list(mixer.values())
    if len(mixer) == 1 and fractions[0] == 1 and len(train_splits) == 1:
        new = {"dataset_name": dataset_ids[0], "dataset_train_split": train_splits[0]}
        if configs:
            new["dataset_config"] = configs[0]
        if test_splits:
            new["dataset_test_split"] = test_splits[0]
        logger.warning(
            "%s: `dataset_mixer`/`dataset_splits` are alignment-handbook's names; one whole dataset is read as %s. "
            "Rename them to silence this.",
            source,
            ", ".join(f"`{k}: {v}`" for k, v in new.items()),
        )
        return _merge_new_keys(config, new, source)

    entries = []
    for index, (dataset_id, fraction) in enumerate(mixer.items()):
        for split in train_splits:
            entry = {"id": dataset_id, "split": split, "weight": fraction}
            if configs:
                entry["config"] = configs[index]
            entries.append(entry)
    mixture = {"datasets": entries}
    if "seed" in config:
        mixture["seed"] = config["seed"]
    lost = (
        f" alignment-handbook also evaluated on the {test_splits} splits; a mixture has no named test splits, so "
        "add `test_split_size` to dataset_mixture to hold out a fraction for evaluation."
        if test_splits
        else ""
    )
    logger.warning(
        "%s: `dataset_mixer`/`dataset_splits` are alignment-handbook's names, read as `dataset_mixture: %s`.%s "
        "Rename them to silence this.",
        source,
        mixture,
        lost,
    )
    return _merge_new_keys(config, {"dataset_mixture": mixture}, source)


def _merge_new_keys(config: dict[str, Any], new: dict[str, Any], source: str) -> dict[str, Any]:
    for key, value in new.items():
        if key in config and config[key] != value:
            raise ValueError(
                f"{source} sets `{key}: {config[key]}` and legacy dataset keys that mean `{key}: {value}`; "
                f"keep only `{key}`."
            )
        config[key] = value
    return config
