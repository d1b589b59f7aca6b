"""get_dataset reads hub-shaped data from local files and folders, builds mixtures, and checks columns early."""

import json

import pytest
from datasets import Dataset, DatasetDict

from open_r1.configs import ScriptArguments
from open_r1.utils.data import drop_long_prompts, get_dataset, make_conversation, require_sft_columns


def write_rows(path, rows):
    with open(path, "w") as file:
        for row in rows:
            file.write(json.dumps(row) + "\n")
    return str(path)


def rows(n, prefix="p"):
    return [{"problem": f"{prefix}{i}", "solution": f"\\boxed{{{i}}}"} for i in range(n)]


@pytest.mark.parametrize("extension", ["jsonl", "json", "parquet", "csv"])
def test_local_file_of_every_format(tmp_path, extension):
    path = tmp_path / f"data.{extension}"
    frame = Dataset.from_list(rows(5))
    {
        "jsonl": lambda: write_rows(path, rows(5)),
        "json": lambda: frame.to_json(path),
        "parquet": lambda: frame.to_parquet(path),
        "csv": lambda: frame.to_csv(path),
    }[extension]()
    dataset = get_dataset(ScriptArguments(dataset_name=str(path)))
    assert list(dataset) == ["train"]
    assert list(dataset["train"]["problem"]) == [f"p{i}" for i in range(5)]


def test_local_folder_with_split_files(tmp_path):
    write_rows(tmp_path / "train.jsonl", rows(4))
    write_rows(tmp_path / "test.jsonl", rows(2, "t"))
    dataset = get_dataset(ScriptArguments(dataset_name=str(tmp_path)))
    assert sorted(dataset) == ["test", "train"]
    assert len(dataset["train"]) == 4 and len(dataset["test"]) == 2


def test_folder_saved_with_save_to_disk(tmp_path):
    DatasetDict({"train": Dataset.from_list(rows(3))}).save_to_disk(tmp_path / "saved")
    dataset = get_dataset(ScriptArguments(dataset_name=str(tmp_path / "saved")))
    assert len(dataset["train"]) == 3


def test_missing_local_path_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        get_dataset(ScriptArguments(dataset_name=str(tmp_path / "nope.jsonl")))


def test_mixture_weights_columns_and_test_split(tmp_path):
    a = write_rows(tmp_path / "a.jsonl", [{**r, "extra": 1} for r in rows(100, "a")])
    b = write_rows(tmp_path / "b.jsonl", rows(40, "b"))
    mixture = {
        "datasets": [
            {"id": a, "columns": ["problem", "solution"], "weight": 0.5},
            {"id": b, "columns": ["problem", "solution"], "weight": 1.0},
        ],
        "seed": 3,
        "test_split_size": 0.2,
    }
    dataset = get_dataset(ScriptArguments(dataset_mixture=mixture))
    assert sorted(dataset) == ["test", "train"]
    assert len(dataset["train"]) + len(dataset["test"]) == 50 + 40
    assert len(dataset["test"]) == 18
    assert dataset["train"].column_names == ["problem", "solution"]
    problems = list(dataset["train"]["problem"]) + list(dataset["test"]["problem"])
    assert sum(p.startswith("a") for p in problems) == 50
    # The same seed gives the same mixture: runs are reproducible.
    again = get_dataset(ScriptArguments(dataset_mixture=mixture))
    assert list(again["train"]["problem"]) == list(dataset["train"]["problem"])


def test_mixture_with_different_columns_fails_before_training(tmp_path):
    a = write_rows(tmp_path / "a.jsonl", rows(3))
    b = write_rows(tmp_path / "b.jsonl", [{"question": "q"}])
    with pytest.raises(ValueError, match="different columns"):
        get_dataset(ScriptArguments(dataset_mixture={"datasets": [{"id": a}, {"id": b}]}))


def test_mixture_selecting_a_missing_column_names_it(tmp_path):
    a = write_rows(tmp_path / "a.jsonl", rows(3))
    with pytest.raises(ValueError, match="no column"):
        get_dataset(ScriptArguments(dataset_mixture={"datasets": [{"id": a, "columns": ["messages"]}]}))


def test_make_conversation_adds_system_prompt_and_drops_messages():
    dataset = DatasetDict(
        {"train": Dataset.from_list([{"problem": "1+1?", "messages": [{"role": "user", "content": "x"}]}])}
    )
    formatted = make_conversation(dataset, "problem", "Think step by step.")
    assert "messages" not in formatted["train"].column_names
    assert formatted["train"][0]["prompt"] == [
        {"role": "system", "content": "Think step by step."},
        {"role": "user", "content": "1+1?"},
    ]


def test_missing_prompt_column_names_the_option():
    dataset = DatasetDict({"train": Dataset.from_list([{"question": "1+1?"}])})
    with pytest.raises(ValueError) as error:
        make_conversation(dataset, "problem", None)
    assert "'problem'" in str(error.value) and "dataset_prompt_column" in str(error.value)
    assert "question" in str(error.value)


def test_sft_needs_a_trainable_layout():
    require_sft_columns(DatasetDict({"train": Dataset.from_list([{"messages": [{"role": "user", "content": "x"}]}])}))
    with pytest.raises(ValueError, match="messages"):
        require_sft_columns(DatasetDict({"train": Dataset.from_list([{"problem": "x"}])}))


def test_drop_long_prompts_uses_chat_formatted_length(tiny_world):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_world / "model")
    dataset = make_conversation(
        DatasetDict({"train": Dataset.from_list([{"problem": "What is 1 + 2 - 3?"}, {"problem": "word " * 200}])}),
        "problem",
        None,
    )
    kept = drop_long_prompts(dataset, tokenizer, max_prompt_tokens=40)
    assert [row["prompt"][0]["content"] for row in kept["train"]] == ["What is 1 + 2 - 3?"]
    assert len(drop_long_prompts(dataset, tokenizer, None)["train"]) == 2
    with pytest.raises(ValueError, match="raise the limit"):
        drop_long_prompts(dataset, tokenizer, max_prompt_tokens=3)
