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
"""A run's inputs checked with nothing heavier than PyYAML: the recipe file, and local dataset and model paths.

Used by the recipe parser, check-recipe, the data loader and the entry points' first checks (open_r1/preflight.py),
which run before torch is imported: a typo in a file name or a YAML slip is reported in well under a second, with
the nearest existing names.
"""

import difflib
import os

import yaml


# Extension -> datasets' packaged builder. `datasets.load_dataset` needs the builder name for a single local file.
LOCAL_FILE_BUILDERS = {
    ".json": "json",
    ".jsonl": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".arrow": "arrow",
}


def did_you_mean(path: str) -> str:
    """' Did you mean X?' for the nearest existing names to a missing `path`, '' when nothing is near.

    The deepest folder of the path that exists is searched for names close to the part that does not, so
    `recipes/tiny/sft/config_dem.yaml` finds `config_demo.yaml` and `data/tiny/modell` finds `data/tiny/model`.
    """
    path = os.path.normpath(path)
    parent, missing = os.path.split(path)
    while parent and not os.path.isdir(parent):
        parent, missing = os.path.split(parent)
    folder = parent or "."
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ""
    close = difflib.get_close_matches(missing, names, n=3, cutoff=0.6)
    if not close:
        return ""
    # Only the names about as near as the nearest: `config_dem.yaml` is `config_demo.yaml`, not `config_code.yaml`.
    best = difflib.SequenceMatcher(None, missing, close[0]).ratio()
    close = [name for name in close if difflib.SequenceMatcher(None, missing, name).ratio() >= best - 0.05]
    shown = [os.path.join(parent, name) if parent else name for name in close]
    return f" Did you mean {' or '.join(shown)}?"


def read_recipe(path: str) -> dict:
    """The recipe's options as a dict; a missing file, a YAML error or a non-mapping fails with one message that names
    the file (and the line)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Recipe {path} does not exist (passed with --config).{did_you_mean(path)}")
    with open(path) as file:
        text = file.read()
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"Recipe {path} is not valid YAML: {_yaml_problem(error)}") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ValueError(f"Recipe {path} must be a YAML mapping of option: value.")
    return config


def _yaml_problem(error: yaml.YAMLError) -> str:
    """'line 3, column 14: expected ...' from PyYAML's error, which would name the file "<unicode string>"."""
    mark, context_mark = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context += f" that starts at line {context_mark.line + 1}, column {context_mark.column + 1}"
    return f"{where}{problem}" + (f" ({context})" if context else "") + "."


def _tiny_hint(path: str) -> str:
    in_tiny = os.path.normpath(path).startswith(os.path.join("data", "tiny"))
    return " (`make tiny` builds data/tiny.)" if in_tiny else ""


def looks_like_local_dataset(name: str) -> bool:
    """A dataset name that can only be a local path: a hub id is `name` or `org/name`, without an extension."""
    return name.startswith((".", "/", "~")) or name.endswith(tuple(LOCAL_FILE_BUILDERS))


def check_local_dataset(name: str) -> None:
    """A local-looking dataset path that does not exist fails, with the nearest names."""
    if looks_like_local_dataset(name) and not os.path.exists(name):
        raise FileNotFoundError(f"Dataset {name} does not exist.{did_you_mean(name)}{_tiny_hint(name)}")


def looks_like_local_model(name: str) -> bool:
    """A model name that can only be a local folder: `a/b/c`, `./x`, `/x`, `~/x`, or `a/b` where the folder `a` is
    here (a hub id is `name` or `org/name`)."""
    if name.startswith((".", "/", "~")) or os.path.exists(name):
        return True
    parts = name.split("/")
    return len(parts) > 2 or (len(parts) == 2 and os.path.isdir(parts[0]))


def check_local_model(name: str) -> None:
    """A local model folder that does not exist, or holds no saved model, fails before anything is loaded.

    Without this, transformers takes the missing folder for a hub id and ends five chained tracebacks later with
    "Repo id must be in the form 'repo_name' or 'namespace/repo_name'", never saying the folder is missing.
    """
    if not looks_like_local_model(name):
        return
    if not os.path.isdir(name):
        raise FileNotFoundError(f"Model folder {name} does not exist.{did_you_mean(name)}{_tiny_hint(name)}")
    if not any(os.path.isfile(os.path.join(name, f)) for f in ("config.json", "adapter_config.json")):
        raise FileNotFoundError(
            f"Model folder {name} has no config.json: it is not a saved model (what `save_pretrained`, a finished "
            "run's output_dir or `make tiny` writes)."
        )
