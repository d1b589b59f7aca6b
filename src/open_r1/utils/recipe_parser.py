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

On top of trl's TrlParser it
1. reads the names of every era of open-r1's recipes (trl 0.14-0.19, transformers 4.x, alignment-handbook), as
   their current options, each with one warning that names the new key (the table is in legacy_options.py);
2. accepts a bare boolean flag (`--bf16`) as true for every boolean option, as trl 0.x did: transformers 5 declares
   some of them `bool | None` ("auto"), and HfArgumentParser then demands a value;
3. rejects a key no config knows with the closest known names, so a typo fails at once instead of being silently
   ignored or failing deep in trl.
"""

import dataclasses
import difflib
import json
import logging
import os
import sys
import typing
from collections.abc import Iterable
from typing import Any

import yaml
from trl import TrlParser

from .inputs import read_recipe
from .legacy_options import (
    CONVERTED_FIELDS,
    DROPPED_FIELDS,
    RENAMED_FIELDS,
    legacy_kind,
    translate_dataset_keys,
    translate_legacy,
)


__all__ = ["CONVERTED_FIELDS", "DROPPED_FIELDS", "RENAMED_FIELDS", "OpenR1Parser"]

logger = logging.getLogger(__name__)


USAGE = """
  accelerate launch [--num_processes N] %(prog)s --config RECIPE.yaml [--option value ...]
  python %(prog)s --config RECIPE.yaml [--option value ...]       (one process)
  python %(prog)s --config RECIPE.yaml --check --num_processes N  (check the recipe for N training processes,
                                                                    loading nothing; exit status 0 or 1)

Every option below can be set in the recipe (`option: value`) or on the command line (`--option value`, which wins).
A run resumes its own newest checkpoint in output_dir, and refuses another run's (see --resume_other_run and
--start_over). OPEN_R1_DEBUG=1 shows the traceback behind a one-line setup error."""


def _is_boolean(annotation: Any) -> bool:
    return annotation is bool or annotation == (bool | None)


def _merge(translated: dict, origin: dict, key: str, value: Any, from_key: str, source: str) -> None:
    """Sets `key`, once: two keys meaning the same option conflict, except dict options, whose entries merge."""
    if key not in translated:
        translated[key], origin[key] = value, from_key
        return
    old = translated[key]
    if isinstance(old, dict) and isinstance(value, dict) and not set(old) & set(value):
        translated[key] = {**old, **value}
        return
    raise ValueError(f"{source} sets both `{origin[key]}` and `{from_key}`; keep only `{key}`.")


class OpenR1Parser(TrlParser):
    """TrlParser that understands legacy recipe names and bare boolean flags, and explains unknown keys."""

    def __init__(self, dataclass_types, **kwargs):
        # argparse would read `--num_train_epoch` as `--num_train_epochs`; a typo must not pass silently.
        kwargs.setdefault("allow_abbrev", False)
        # argparse's own usage line lists every option (hundreds of lines, printed again above each argparse error).
        kwargs.setdefault("usage", USAGE)
        super().__init__(dataclass_types, **kwargs)
        self._accept_bare_boolean_flags()

    def error(self, message: str):
        """argparse's error, as one line: without the usage text above it."""
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _accept_bare_boolean_flags(self) -> None:
        """`--bf16` alone means true, whatever the option's declared type, as it did for every trl 0.x user.

        HfArgumentParser gives `bool` options an optional value, but not `bool | None` ones (bf16, tf32, ...: None
        means "pick for the hardware"), so `--bf16` fails with "expected one argument". The value stays optional:
        `--bf16 false` and `--bf16=false` still work, and an absent flag keeps its None.
        """
        boolean = set()
        for dataclass_type in self.dataclass_types:
            hints = typing.get_type_hints(dataclass_type)
            boolean |= {f.name for f in dataclasses.fields(dataclass_type) if _is_boolean(hints.get(f.name))}
        for action in self._actions:
            if action.dest in boolean and f"--{action.dest}" in action.option_strings and action.nargs is None:
                action.nargs, action.const = "?", True

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
        config = translate_dataset_keys(config, source)
        translated, origin, unknown = {}, {}, []
        for key, value in config.items():
            if key.endswith("_strategy") and value is False:
                # YAML 1.1 reads an unquoted `no` as false; open-r1 recipes wrote `eval_strategy: no`.
                logger.warning(
                    "%s: `%s: no` is read as the string 'no' (quote it: YAML reads no as false).", source, key
                )
                value = "no"
            if key in known:
                _merge(translated, origin, key, value, key, source)
            elif legacy_kind(key) is not None:
                for new_key, new_value in translate_legacy(key, value, known, source).items():
                    _merge(translated, origin, new_key, new_value, key, source)
            else:
                unknown.append(key)
        if unknown:
            raise self._unknown_key_error(unknown, source)
        return translated

    def _translate_cli(self, args: list[str]) -> list[str]:
        """Rewrites legacy options of the command line into current ones (one warning each).

        A renamed option keeps its value tokens, which argparse then types for the new option. A converted option
        takes one value (or none: a bare flag means true) and is rewritten with the converted value. A dropped
        option takes its one value with it, so that value is not read as a stray argument.
        """
        known, translated, index = self._known_fields(), [], 0
        while index < len(args):
            arg = args[index]
            index += 1
            key, eq, inline = arg[2:].partition("=")
            key = key.replace("-", "_")
            if not arg.startswith("--") or arg == "--config" or key in known or legacy_kind(key) is None:
                translated.append(arg)
                continue
            value = inline if eq else None
            if not eq and index < len(args) and not args[index].startswith("--"):
                value = args[index]
                index += 1
            if legacy_kind(key) == "renamed":
                new_keys = list(translate_legacy(key, value, known, "command line"))
                if new_keys:
                    translated += [f"--{new_keys[0]}"] + ([] if value is None else [value])
                continue
            parsed = True if value is None else yaml.safe_load(value)
            for new_key, new_value in translate_legacy(key, parsed, known, "command line").items():
                if isinstance(new_value, list):
                    translated += [f"--{new_key}", *map(str, new_value)]
                else:
                    shown = json.dumps(new_value) if isinstance(new_value, dict) else str(new_value)
                    translated += [f"--{new_key}", shown]
        return translated

    def parse_args_and_config(self, args: Iterable[str] | None = None, **kwargs) -> tuple:
        args = list(args) if args is not None else sys.argv[1:]
        config_path = None
        for index, arg in enumerate(args):
            if arg == "--config" and index + 1 < len(args):
                config_path = args[index + 1]
                del args[index : index + 2]
                break
            if arg.startswith("--config="):
                config_path = arg.split("=", 1)[1]
                del args[index]
                break
        args = self._translate_cli(args)
        if config_path is not None:
            config = read_recipe(config_path)
            for key, value in (config.pop("env", None) or {}).items():
                os.environ[key] = str(value)
            self.set_defaults_with_config(**self._translate_config(config, f"Recipe {config_path}"))

        # argparse alone first: an unknown flag is reported before any dataclass validation runs.
        remaining = self.parse_known_args(args)[1]
        if remaining:
            unknown = [arg[2:].split("=")[0] for arg in remaining if arg.startswith("--")]
            raise self._unknown_key_error(unknown or remaining, "The command line")
        return tuple(self.parse_args_into_dataclasses(args=args))
