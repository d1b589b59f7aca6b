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
"""Loading training data: hub ids and local files or folders alike, single datasets or weighted mixtures."""

import logging
import os

import datasets
from datasets import Dataset, DatasetDict, concatenate_datasets

from .inputs import LOCAL_FILE_BUILDERS, check_local_dataset, looks_like_local_dataset


logger = logging.getLogger(__name__)


def _load_local_file(path: str, split: str) -> Dataset:
    extension = os.path.splitext(path)[1].lower()
    if extension not in LOCAL_FILE_BUILDERS:
        raise ValueError(
            f"Cannot read {path}: unsupported extension {extension!r}. Use one of {sorted(LOCAL_FILE_BUILDERS)}."
        )
    # A single file is one split; accept the usual names for it rather than failing on `split: test`.
    return datasets.load_dataset(LOCAL_FILE_BUILDERS[extension], data_files={split: path}, split=split)


def _load_local_folder(path: str, config: str | None, split: str | None) -> Dataset | DatasetDict:
    if config is not None:
        if not os.path.isdir(os.path.join(path, config)):
            raise ValueError(f"Local dataset {path} has no sub-folder {config!r} for dataset config {config!r}.")
        path = os.path.join(path, config)
    # A folder written by `Dataset.save_to_disk` (what generate.py --output-dir writes) versus a folder of data files.
    if os.path.isfile(os.path.join(path, "dataset_dict.json")) or os.path.isfile(os.path.join(path, "state.json")):
        loaded = datasets.load_from_disk(path)
        if isinstance(loaded, DatasetDict) and split is not None:
            return loaded[split]
        return loaded
    return datasets.load_dataset(path, split=split)


def load_dataset_any(path: str, config: str | None = None, split: str | None = None) -> Dataset | DatasetDict:
    """`datasets.load_dataset` for a hub id, a local data file (json/jsonl/parquet/csv) or a local folder."""
    if os.path.isfile(path):
        if config is not None:
            logger.warning("Dataset config %r is ignored for the single local file %s.", config, path)
        return _load_local_file(path, split) if split else DatasetDict({"train": _load_local_file(path, "train")})
    if os.path.isdir(path):
        return _load_local_folder(path, config, split)
    if looks_like_local_dataset(path):
        check_local_dataset(path)  # it does not exist: says so, with the nearest names
    return datasets.load_dataset(path, config, split=split)


def get_dataset(args) -> DatasetDict:
    """Loads `args.dataset_name` or builds `args.dataset_mixture` (see configs.ScriptArguments).

    A mixture keeps `weight` of each dataset's rows (shuffled with the mixture's seed), concatenates them, shuffles,
    and splits off a test set when `test_split_size` is set.
    """
    if args.dataset_mixture is None:
        logger.info("Loading dataset %s", args.dataset_name)
        loaded = load_dataset_any(args.dataset_name, args.dataset_config)
        return loaded if isinstance(loaded, DatasetDict) else DatasetDict({args.dataset_train_split: loaded})

    mixture = args.dataset_mixture
    parts = []
    for config in mixture.datasets:
        logger.info("Loading mixture dataset %s (config=%s, split=%s)", config.id, config.config, config.split)
        part = load_dataset_any(config.id, config.config, split=config.split)
        if config.columns is not None:
            missing = [column for column in config.columns if column not in part.column_names]
            if missing:
                raise ValueError(
                    f"Dataset {config.id} has no column(s) {missing}; it has {part.column_names}. "
                    "Fix `columns` in dataset_mixture."
                )
            part = part.select_columns(config.columns)
        if config.weight < 1.0:
            part = part.shuffle(seed=mixture.seed).select(range(int(len(part) * config.weight)))
            logger.info("Kept %d rows of %s (weight %s)", len(part), config.id, config.weight)
        parts.append(part)

    columns = {tuple(sorted(part.column_names)) for part in parts}
    if len(columns) > 1:
        listing = "; ".join(f"{c.id}: {sorted(p.column_names)}" for c, p in zip(mixture.datasets, parts))
        raise ValueError(
            f"Mixture datasets have different columns and cannot be concatenated ({listing}). "
            "Select the same `columns` for every dataset of dataset_mixture."
        )
    combined = concatenate_datasets(parts).shuffle(seed=mixture.seed)
    logger.info("Mixture has %d rows", len(combined))
    if mixture.test_split_size is not None:
        return combined.train_test_split(test_size=mixture.test_split_size, seed=mixture.seed)
    return DatasetDict({"train": combined})


def require_column(dataset: DatasetDict, column: str, fix: str) -> None:
    """Fails before any model is loaded when a needed column is missing, saying how to fix the recipe."""
    for split, part in dataset.items():
        if column not in part.column_names:
            raise ValueError(
                f"The dataset's {split!r} split has no column {column!r} (its columns: {part.column_names}). {fix}"
            )


def make_conversation(dataset: DatasetDict, prompt_column: str, system_prompt: str | None) -> DatasetDict:
    """Turns each row's prompt into a chat (optional system turn + user turn) in the `prompt` column GRPO expects."""
    require_column(dataset, prompt_column, "Set `dataset_prompt_column` to the column that holds the prompt.")

    def to_chat(example):
        prompt = [{"role": "system", "content": system_prompt}] if system_prompt is not None else []
        prompt.append({"role": "user", "content": example[prompt_column]})
        return {"prompt": prompt}

    dataset = dataset.map(to_chat, desc="Formatting prompts")
    # A `messages` column would make trl treat rows as finished conversations; GRPO generates the reply itself.
    return DatasetDict(
        {
            split: part.remove_columns("messages") if "messages" in part.column_names else part
            for split, part in dataset.items()
        }
    )


def add_system_prompt(dataset: DatasetDict, system_prompt: str | None) -> DatasetDict:
    """SFT: prepends the recipe's system prompt to conversations that do not already start with one."""
    if system_prompt is None:
        return dataset
    # Its own remedy: this column is not picked by an option (the message used to say "Set `dataset_name (an SFT
    # dataset needs a `messages` column)` to the column that holds the prompt").
    require_column(
        dataset,
        "messages",
        "`system_prompt` is added to conversations: set `dataset_name` to a dataset with a `messages` column, "
        "or remove `system_prompt`.",
    )

    def prepend(example):
        messages = example["messages"]
        if messages and messages[0]["role"] == "system":
            return {"messages": messages}
        return {"messages": [{"role": "system", "content": system_prompt}, *messages]}

    return dataset.map(prepend, desc="Adding system prompt")


def drop_long_prompts(dataset: DatasetDict, tokenizer, max_prompt_tokens: int | None) -> DatasetDict:
    """Drops rows whose chat-formatted prompt exceeds `max_prompt_tokens` (trl 1.x no longer limits prompts)."""
    if max_prompt_tokens is None:
        return dataset

    def fits(example):
        ids = tokenizer.apply_chat_template(example["prompt"], add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):  # transformers 5 may return a BatchEncoding
            ids = ids["input_ids"]
        return len(ids) <= max_prompt_tokens

    filtered = DatasetDict()
    for split, part in dataset.items():
        filtered[split] = part.filter(fits, desc=f"Dropping prompts over {max_prompt_tokens} tokens")
        dropped = len(part) - len(filtered[split])
        if dropped:
            logger.warning(
                "Dropped %d of %d %r rows whose prompt is over max_prompt_tokens=%d tokens.",
                dropped,
                len(part),
                split,
                max_prompt_tokens,
            )
        if len(filtered[split]) == 0:
            raise ValueError(
                f"Every {split!r} prompt is longer than max_prompt_tokens={max_prompt_tokens}; raise the limit."
            )
    return filtered


SFT_COLUMN_LAYOUTS = (("messages",), ("text",), ("prompt", "completion"))


def require_sft_columns(dataset: DatasetDict) -> None:
    """SFTTrainer reads `messages` (conversations), `text`, or `prompt` + `completion`; say so before loading a model."""
    for split, part in dataset.items():
        if not any(all(column in part.column_names for column in layout) for layout in SFT_COLUMN_LAYOUTS):
            raise ValueError(
                f"The dataset's {split!r} split has columns {part.column_names}, none of which SFT can train on. "
                "It needs `messages` (a list of {role, content} turns), `text`, or `prompt` and `completion`; "
                "select or rename columns with `dataset_mixture.columns` or in the dataset itself."
            )
