"""SFT's `system_prompt` option: every conversation starts with the recipe's system turn, exactly once."""

import pytest
from datasets import Dataset, DatasetDict

from open_r1.utils.data import add_system_prompt


def _conversations(*rows):
    return DatasetDict({"train": Dataset.from_list([{"messages": list(row)} for row in rows])})


USER = {"role": "user", "content": "1 + 1?"}
ASSISTANT = {"role": "assistant", "content": "2"}
OWN_SYSTEM = {"role": "system", "content": "You are terse."}


def test_the_system_prompt_opens_every_conversation_that_has_none():
    dataset = add_system_prompt(_conversations([USER, ASSISTANT], [OWN_SYSTEM, USER, ASSISTANT]), "Think first.")
    rows = dataset["train"]["messages"]
    assert rows[0] == [{"role": "system", "content": "Think first."}, USER, ASSISTANT]
    # A conversation that brings its own system turn keeps it, and gets no second one.
    assert rows[1] == [OWN_SYSTEM, USER, ASSISTANT]


def test_no_system_prompt_leaves_the_data_untouched():
    dataset = _conversations([USER, ASSISTANT])
    assert add_system_prompt(dataset, None) is dataset


def test_a_dataset_without_conversations_is_refused_before_training():
    with pytest.raises(ValueError) as error:
        add_system_prompt(DatasetDict({"train": Dataset.from_list([{"text": "hello"}])}), "Think first.")
    assert "'messages'" in str(error.value) and "dataset_name" in str(error.value)
