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
"""Reads a recipe (`--config recipe.yaml`) plus command-line overrides into the config dataclasses.

On top of trl's TrlParser it (1) accepts the trl-0.18-era names that open-r1's published recipes use, renaming each
with one warning that names the new field, and (2) rejects a key no config knows with the closest known names, so a
typo fails at once instead of being silently ignored or failing deep in trl.
"""

import difflib
import logging
import os
import sys
from collections.abc import Iterable

import yaml
from trl import TrlParser


logger = logging.getLogger(__name__)

# Old name -> (new name, why). Values keep their meaning under the new name.
RENAMED_FIELDS = {
    "max_seq_length": ("max_length", "trl renamed SFTConfig.max_seq_length"),
    "torch_dtype": ("dtype", "transformers/trl renamed torch_dtype"),
    "max_prompt_length": (
        "max_prompt_tokens",
        "trl 1.x removed GRPOConfig.max_prompt_length; open-r1 drops longer prompts instead of cutting their start",
    ),
    "use_liger_loss": ("use_liger_kernel", "trl 1.x folded the Liger GRPO loss into use_liger_kernel"),
    "wandb_log_unique_prompts": ("log_unique_prompts", "trl 1.x logs unique prompts natively"),
    "vllm_guided_decoding_regex": ("vllm_structured_outputs_regex", "trl followed vLLM's rename"),
    "evaluation_strategy": ("eval_strategy", "transformers renamed evaluation_strategy"),
    "no_cuda": ("use_cpu", "transformers renamed no_cuda"),
    "warmup_ratio": (
        "warmup_steps",
        "transformers 5 folded warmup_ratio into warmup_steps (a float < 1 is a fraction)",
    ),
    "use_liger": ("use_liger_kernel", "old trl name of use_liger_kernel"),
}

# Old names with no successor: they are dropped with a warning saying why, because the behaviour they asked for is
# now the only behaviour (or is configured elsewhere), and failing on them would break every published recipe.
DROPPED_FIELDS = {
    "overwrite_output_dir": "transformers 5 removed it; runs resume from the last checkpoint in output_dir, "
    "so delete the folder or change output_dir to start afresh",
    "logging_dir": "transformers 5 removed it; TensorBoard logs go under output_dir",
    "save_safetensors": "transformers 5 always saves safetensors",
    "vllm_device": "trl 1.x places vLLM itself (vllm_mode: colocate, or server via `trl vllm-serve`)",
    "vllm_enable_prefix_caching": "trl 1.x always enables vLLM prefix caching",
}


def _rename_legacy(key: str, known: set[str], source: str) -> str | None:
    """Returns the current name of `key`, None to drop it, warning once for each legacy name."""
    if key in known:
        return key
    if key in RENAMED_FIELDS:
        new, why = RENAMED_FIELDS[key]
        logger.warning(
            "%s: `%s` is a legacy name, read as `%s` (%s). Rename it to silence this.", source, key, new, why
        )
        return new
    if key in DROPPED_FIELDS:
        logger.warning("%s: `%s` is ignored: %s. Remove it to silence this.", source, key, DROPPED_FIELDS[key])
        return None
    return key


class OpenR1Parser(TrlParser):
    """TrlParser that understands legacy recipe names and explains unknown keys."""

    def __init__(self, dataclass_types, **kwargs):
        # argparse would read `--num_train_epoch` as `--num_train_epochs`; a typo must not pass silently.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(dataclass_types, **kwargs)

    def _known_fields(self) -> set[str]:
        return {action.dest for action in self._actions}

    def _unknown_key_error(self, keys: list[str], source: str) -> ValueError:
        known = sorted(self._known_fields())
        lines = []
        for key in keys:
            close = difflib.get_close_matches(key, known, n=3)
            lines.append(f"  {key}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        classes = ", ".join(dc.__name__ for dc in self.dataclass_types)
        return ValueError(
            f"{source} sets options no config knows ({classes}):\n" + "\n".join(lines) + "\n"
            "Fix the spelling or remove the key; `--help` lists every option."
        )

    def _translate_config(self, config: dict, source: str) -> dict:
        known = self._known_fields()
        translated, unknown = {}, []
        for key, value in config.items():
            new_key = _rename_legacy(key, known, source)
            if new_key is None:
                continue
            if new_key not in known:
                unknown.append(key)
            elif new_key in translated:
                raise ValueError(f"{source} sets both `{key}` and `{new_key}`; keep only `{new_key}`.")
            else:
                translated[new_key] = value
        if unknown:
            raise self._unknown_key_error(unknown, source)
        return translated

    def _translate_cli(self, args: list[str]) -> list[str]:
        known, translated, skip_value = self._known_fields(), [], False
        for arg in args:
            if skip_value:
                skip_value = False
                if not arg.startswith("--"):
                    continue
            if arg.startswith("--") and arg != "--config":
                key, eq, value = arg[2:].partition("=")
                new_key = _rename_legacy(key.replace("-", "_"), known, "command line")
                if new_key is None:
                    skip_value = not eq
                    continue
                arg = f"--{new_key}{eq}{value}"
            translated.append(arg)
        return translated

    def parse_args_and_config(self, args: Iterable[str] | None = None, **kwargs) -> tuple:
        args = self._translate_cli(list(args) if args is not None else sys.argv[1:])
        if "--config" in args:
            index = args.index("--config")
            config_path = args[index + 1]
            del args[index : index + 2]
            if not os.path.isfile(config_path):
                raise FileNotFoundError(f"Recipe {config_path} does not exist (passed with --config).")
            with open(config_path) as file:
                config = yaml.safe_load(file) or {}
            if not isinstance(config, dict):
                raise ValueError(f"Recipe {config_path} must be a YAML mapping of option: value.")
            for key, value in (config.pop("env", None) or {}).items():
                os.environ[key] = str(value)
            self.set_defaults_with_config(**self._translate_config(config, f"Recipe {config_path}"))

        # argparse alone first: an unknown flag is reported before any dataclass validation runs.
        remaining = self.parse_known_args(args)[1]
        if remaining:
            unknown = [arg[2:].split("=")[0] for arg in remaining if arg.startswith("--")]
            raise self._unknown_key_error(unknown or remaining, "The command line")
        return tuple(self.parse_args_into_dataclasses(args=args))
