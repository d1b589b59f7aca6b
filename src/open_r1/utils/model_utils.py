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
"""Tokenizer and model loading from a trl ModelConfig plus the trainer config."""

import logging

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import is_flash_attn_2_available
from trl import ModelConfig, get_quantization_config


logger = logging.getLogger(__name__)


def get_tokenizer(model_args: ModelConfig, training_args) -> PreTrainedTokenizerBase:
    """Loads the tokenizer, replacing its chat template when the recipe sets `chat_template`."""
    tokenizer = AutoTokenizer.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=training_args.trust_remote_code,
    )
    if training_args.chat_template is not None:
        tokenizer.chat_template = training_args.chat_template
    if tokenizer.chat_template is None:
        raise ValueError(
            f"The tokenizer of {model_args.model_name_or_path} has no chat template. Set `chat_template` in the "
            "recipe (a Jinja template) so conversations can be formatted."
        )
    return tokenizer


def resolve_attn_implementation(requested: str | None) -> str | None:
    """Falls back from flash-attn to PyTorch SDPA where flash-attn is missing (CPU machines), instead of failing."""
    if requested in ("flash_attention_2", "flash_attention_3") and not is_flash_attn_2_available():
        logger.warning(
            "attn_implementation=%s needs the flash-attn package and a CUDA GPU; using 'sdpa' instead.", requested
        )
        return "sdpa"
    return requested


def _kbit_device_map() -> dict[str, int] | None:
    """bitsandbytes models must be placed at load time: each process puts its copy on its own GPU."""
    if not torch.cuda.is_available():
        return None
    from accelerate import PartialState

    return {"": PartialState().local_process_index}


def get_model(model_args: ModelConfig, training_args) -> AutoModelForCausalLM:
    """Loads the causal LM with the recipe's dtype, attention and quantization."""
    attn_implementation = resolve_attn_implementation(model_args.attn_implementation)
    if attn_implementation not in ("flash_attention_2", "flash_attention_3") and (
        getattr(training_args, "padding_free", False) or getattr(training_args, "packing", False)
    ):
        logger.warning(
            "packing/padding_free without flash-attention attends across the whole packed row: measured 6%% "
            "(padding-free) to 2.6x (packing) slower than padded batches on sdpa (docs/benchmarks.md). Install "
            "flash-attn or set packing: false."
        )
    dtype = model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    quantization_config = get_quantization_config(model_args)
    model_kwargs = dict(
        revision=model_args.model_revision,
        trust_remote_code=training_args.trust_remote_code,
        attn_implementation=attn_implementation,
        dtype=dtype,
        # The KV cache is useless in training and conflicts with gradient checkpointing.
        use_cache=not training_args.gradient_checkpointing,
        device_map=_kbit_device_map() if quantization_config is not None else None,
        quantization_config=quantization_config,
    )
    return AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path, **model_kwargs)
