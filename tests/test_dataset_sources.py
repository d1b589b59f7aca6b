"""Where training data comes from, and what the user is told about it.

A dataset config picks a sub-folder of a local dataset, `generate.py`'s `save_to_disk` output trains as it is, a
mixture's `split` picks that split, and a path that looks local but is missing fails at once instead of being sent to
the hub. The messages are checked word for word: they are all the user sees when a recipe names the wrong thing, and
the mixture's log is how a user checks the weights took effect.
"""

import json
import logging

import pytest
from datasets import Dataset, DatasetDict

from open_r1.configs import ScriptArguments
from open_r1.utils.data import (
    add_system_prompt,
    drop_long_prompts,
    get_dataset,
    load_dataset_any,
    make_conversation,
    require_sft_columns,
)


def _write(path, prefix: str, n: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as file:
        for i in range(n):
            file.write(json.dumps({"problem": f"{prefix}{i}", "solution": str(i)}) + "\n")
    return str(path)


@pytest.fixture
def configs_folder(tmp_path):
    """A local dataset with two configs, each a sub-folder with its own train and test files (the hub's layout)."""
    for config, n in (("easy", 3), ("hard", 5)):
        _write(tmp_path / "dataset" / config / "train.jsonl", f"{config}-train-", n)
        _write(tmp_path / "dataset" / config / "test.jsonl", f"{config}-test-", 2)
    return str(tmp_path / "dataset")


def test_a_dataset_config_picks_its_sub_folder(configs_folder):
    dataset = get_dataset(ScriptArguments(dataset_name=configs_folder, dataset_config="hard"))
    assert sorted(dataset) == ["test", "train"]
    assert list(dataset["train"]["problem"]) == [f"hard-train-{i}" for i in range(5)]
    assert list(dataset["test"]["problem"]) == ["hard-test-0", "hard-test-1"]


def test_a_missing_dataset_config_names_the_folder_and_the_config(configs_folder):
    with pytest.raises(ValueError) as error:
        get_dataset(ScriptArguments(dataset_name=configs_folder, dataset_config="medium"))
    assert str(error.value) == (
        f"Local dataset {configs_folder} has no sub-folder 'medium' for dataset config 'medium'."
    )


def test_a_mixture_reads_each_datasets_config_and_split(configs_folder):
    mixture = {
        "datasets": [
            {"id": configs_folder, "config": "easy", "split": "test"},
            {"id": configs_folder, "config": "hard", "split": "train"},
        ]
    }
    dataset = get_dataset(ScriptArguments(dataset_mixture=mixture))
    assert list(dataset) == ["train"]
    assert sorted(dataset["train"]["problem"]) == sorted(
        ["easy-test-0", "easy-test-1"] + [f"hard-train-{i}" for i in range(5)]
    )


def test_a_generated_dataset_folder_trains_under_the_recipes_split_name(tmp_path):
    # generate.py --output-dir writes one Dataset with save_to_disk (state.json, no splits); the trainers read
    # dataset[dataset_train_split], whatever the recipe calls it.
    Dataset.from_list([{"problem": f"g{i}"} for i in range(4)]).save_to_disk(tmp_path / "generated")
    dataset = get_dataset(ScriptArguments(dataset_name=str(tmp_path / "generated"), dataset_train_split="distilled"))
    assert list(dataset) == ["distilled"]
    assert list(dataset["distilled"]["problem"]) == ["g0", "g1", "g2", "g3"]


def test_a_saved_dataset_dict_keeps_its_own_splits(tmp_path):
    saved = DatasetDict(
        {
            "train": Dataset.from_list([{"problem": "t0"}, {"problem": "t1"}]),
            "hard": Dataset.from_list([{"problem": "h0"}]),
        }
    )
    saved.save_to_disk(tmp_path / "saved")
    dataset = get_dataset(ScriptArguments(dataset_name=str(tmp_path / "saved")))
    assert sorted(dataset) == ["hard", "train"]
    assert list(dataset["hard"]["problem"]) == ["h0"]
    # A mixture takes one split of it.
    mixture = get_dataset(
        ScriptArguments(dataset_mixture={"datasets": [{"id": str(tmp_path / "saved"), "split": "hard"}]})
    )
    assert list(mixture["train"]["problem"]) == ["h0"]


def test_a_single_file_takes_the_split_asked_for_and_warns_that_a_config_is_ignored(tmp_path, caplog):
    path = _write(tmp_path / "rows.jsonl", "r", 3)
    caplog.set_level(logging.WARNING, logger="open_r1.utils.data")
    whole = load_dataset_any(path)
    assert list(whole) == ["train"] and list(whole["train"]["problem"]) == ["r0", "r1", "r2"]
    assert caplog.messages == []
    one_split = load_dataset_any(path, config="easy", split="test")
    assert isinstance(one_split, Dataset) and list(one_split["problem"]) == ["r0", "r1", "r2"]
    assert caplog.messages == [f"Dataset config 'easy' is ignored for the single local file {path}."]


def test_an_unsupported_file_extension_lists_the_supported_ones(tmp_path):
    path = tmp_path / "rows.txt"
    path.write_text("1 + 1\n")
    with pytest.raises(ValueError) as error:
        get_dataset(ScriptArguments(dataset_name=str(path)))
    assert str(error.value) == (
        f"Cannot read {path}: unsupported extension '.txt'. Use one of ['.arrow', '.csv', '.json', '.jsonl', '.parquet']."
    )


@pytest.mark.parametrize("path", ["./data/missing", "/no/such/folder", "~/no/such/folder", "data/missing.parquet"])
def test_a_missing_local_path_is_not_sent_to_the_hub(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        get_dataset(ScriptArguments(dataset_name=path))
    assert str(error.value) == f"Dataset {path} does not exist."


def test_a_missing_local_dataset_names_the_nearest_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "tiny").mkdir(parents=True)
    (tmp_path / "data" / "tiny" / "sft.jsonl").write_text("{}\n")
    with pytest.raises(FileNotFoundError) as error:
        get_dataset(ScriptArguments(dataset_name="data/tiny/stf.jsonl"))
    assert str(error.value) == (
        "Dataset data/tiny/stf.jsonl does not exist. Did you mean data/tiny/sft.jsonl? (`make tiny` builds data/tiny.)"
    )


def test_a_mixture_without_a_test_split_trains_on_all_of_it_and_logs_what_it_kept(tmp_path, caplog, configs_folder):
    a = _write(tmp_path / "a.jsonl", "a", 10)
    caplog.set_level(logging.INFO, logger="open_r1.utils.data")
    mixture = {"datasets": [{"id": a, "weight": 0.5}, {"id": configs_folder, "config": "easy", "split": "test"}]}
    dataset = get_dataset(ScriptArguments(dataset_mixture=mixture))
    assert list(dataset) == ["train"] and len(dataset["train"]) == 5 + 2
    # The log is how a user checks a mixture: every dataset loaded, the rows a weight kept (none for weight 1), the
    # total.
    assert caplog.messages == [
        f"Loading mixture dataset {a} (config=None, split=train)",
        f"Kept 5 rows of {a} (weight 0.5)",
        f"Loading mixture dataset {configs_folder} (config=easy, split=test)",
        "Mixture has 7 rows",
    ]


def test_loading_one_dataset_logs_its_name(tmp_path, caplog):
    path = _write(tmp_path / "rows.jsonl", "r", 2)
    caplog.set_level(logging.INFO, logger="open_r1.utils.data")
    get_dataset(ScriptArguments(dataset_name=path))
    assert caplog.messages == [f"Loading dataset {path}"]


def test_mixture_column_errors_say_how_to_fix_the_recipe(tmp_path):
    a = _write(tmp_path / "a.jsonl", "a", 3)
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({"question": "q"}) + "\n")
    with pytest.raises(ValueError) as error:
        get_dataset(ScriptArguments(dataset_mixture={"datasets": [{"id": a, "columns": ["question"]}]}))
    assert str(error.value) == (
        f"Dataset {a} has no column(s) ['question']; it has ['problem', 'solution']. Fix `columns` in dataset_mixture."
    )
    with pytest.raises(ValueError) as error:
        get_dataset(ScriptArguments(dataset_mixture={"datasets": [{"id": a}, {"id": str(b)}]}))
    assert str(error.value) == (
        "Mixture datasets have different columns and cannot be concatenated "
        f"({a}: ['problem', 'solution']; {b}: ['question']). "
        "Select the same `columns` for every dataset of dataset_mixture."
    )


def test_column_errors_name_the_option_and_the_layouts_sft_reads():
    rows = DatasetDict({"train": Dataset.from_list([{"question": "1+1?"}])})
    with pytest.raises(ValueError) as error:
        make_conversation(rows, "problem", None)
    assert str(error.value) == (
        "The dataset's 'train' split has no column 'problem' (its columns: ['question']). "
        "Set `dataset_prompt_column` to the column that holds the prompt."
    )
    with pytest.raises(ValueError) as error:
        add_system_prompt(rows, "Think first.")
    assert str(error.value) == (
        "The dataset's 'train' split has no column 'messages' (its columns: ['question']). "
        "`system_prompt` is added to conversations: set `dataset_name` to a dataset with a `messages` column, "
        "or remove `system_prompt`."
    )
    with pytest.raises(ValueError) as error:
        require_sft_columns(rows)
    assert str(error.value) == (
        "The dataset's 'train' split has columns ['question'], none of which SFT can train on. "
        "It needs `messages` (a list of {role, content} turns), `text`, or `prompt` and `completion`; "
        "select or rename columns with `dataset_mixture.columns` or in the dataset itself."
    )


def test_a_prompt_of_exactly_max_prompt_tokens_as_the_model_sees_it_is_kept(tiny_world, caplog):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_world / "model")
    dataset = make_conversation(
        DatasetDict({"train": Dataset.from_list([{"problem": "What is 1 + 2 - 3?"}, {"problem": "word " * 60}])}),
        "problem",
        None,
    )
    # What the model is fed: the chat template's text, generation prompt (the assistant's turn header) included.
    text = tokenizer.apply_chat_template(dataset["train"][0]["prompt"], add_generation_prompt=True, tokenize=False)
    length = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    caplog.set_level(logging.WARNING, logger="open_r1.utils.data")
    kept = drop_long_prompts(dataset, tokenizer, max_prompt_tokens=length)
    assert [row["prompt"][0]["content"] for row in kept["train"]] == ["What is 1 + 2 - 3?"]
    assert caplog.messages == [f"Dropped 1 of 2 'train' rows whose prompt is over max_prompt_tokens={length} tokens."]
    # One token less and no prompt fits: the run stops before training on nothing.
    with pytest.raises(ValueError) as error:
        drop_long_prompts(dataset, tokenizer, max_prompt_tokens=length - 1)
    assert str(error.value) == f"Every 'train' prompt is longer than max_prompt_tokens={length - 1}; raise the limit."


def test_the_sft_system_prompt_adds_no_column():
    own = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "1 + 1?"}]
    rows = DatasetDict({"train": Dataset.from_list([{"messages": own}, {"messages": own[1:]}])})
    prompted = add_system_prompt(rows, "Think first.")
    assert prompted["train"].column_names == ["messages"]
    assert [row[0]["content"] for row in prompted["train"]["messages"]] == ["You are terse.", "Think first."]
