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
"""The entry points' first checks, run before torch, transformers or trl is imported (that alone takes 5-30 s).

Read from the command line and the recipe file, with no config built: the recipe exists and is YAML, the local
dataset files and model folder exist, the reward names are registered, and a user's own reward (`module:function`,
`file.py:function`) imports and takes trl's keywords. Each failure is one line with the nearest names
(`config_dem.yaml` -> `config_demo.yaml`, `formatt` -> `format`), in well under a second. Everything else
(option names and types, batch arithmetic, dataset columns) is checked by the full parse and the data loading that
follow, still before the model loads. What cannot be read here (an option spelled the legacy way, a value the
parser would convert) is left to them.
"""

import json

from open_r1.utils.failures import setup_errors_in_one_line
from open_r1.utils.inputs import check_local_dataset, check_local_model, read_recipe


def _config_path(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def command_line_values(argv: list[str]) -> dict[str, list[str]]:
    """`--name v1 v2` and `--name=v` of the command line, by option name (dashes read as underscores; last wins)."""
    values: dict[str, list[str]] = {}
    name = None
    for arg in argv:
        if arg.startswith("--"):
            key, eq, inline = arg[2:].partition("=")
            name = key.replace("-", "_")
            values[name] = [inline] if eq else []
            if eq:
                name = None
        elif name is not None:
            values[name].append(arg)
    return values


def _option(name: str, recipe: dict, cli: dict[str, list[str]], many: bool = False):
    if name in cli:
        return cli[name] if many else (cli[name][0] if cli[name] else None)
    return recipe.get(name)


def check_inputs(task: str, argv: list[str]) -> None:
    """Ends the process with one line when the inputs named by `argv` cannot work; returns when they may."""
    if any(arg in ("-h", "--help", "--check") for arg in argv):  # argparse's help, check-recipe's own report
        return
    with setup_errors_in_one_line():
        config_path = _config_path(argv)
        recipe = read_recipe(config_path) if config_path is not None else {}
        cli = command_line_values(argv)

        mixture = _option("dataset_mixture", recipe, cli)
        if isinstance(mixture, str):  # JSON on the command line; a malformed one is the full parse's to explain
            try:
                mixture = json.loads(mixture)
            except ValueError:
                mixture = None
        if isinstance(mixture, dict) and isinstance(mixture.get("datasets"), list):
            for dataset in mixture["datasets"]:
                if isinstance(dataset, dict) and isinstance(dataset.get("id"), str):
                    check_local_dataset(dataset["id"])
        elif mixture is None and isinstance(_option("dataset_name", recipe, cli), str):
            check_local_dataset(_option("dataset_name", recipe, cli))

        model = _option("model_name_or_path", recipe, cli)
        if isinstance(model, str):
            check_local_model(model)

        rewards = _option("reward_funcs", recipe, cli, many=True)
        if task == "grpo" and isinstance(rewards, list) and all(isinstance(r, str) for r in rewards):
            # The registry's names are plain functions, no torch; a user's reward module is imported here, as the
            # run would import it anyway.
            from open_r1.rewards import check_reward_names

            check_reward_names(rewards)
