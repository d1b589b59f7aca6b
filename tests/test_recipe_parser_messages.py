"""What the recipe parser tells the user, word for word, and the legacy options only the command line can show.

A recipe written for an older trl or transformers is read with one warning per legacy key, and a key no config
knows stops the run; those messages are the whole interface of the parser, so they are checked in full here.
"""

import logging

import pytest
import yaml
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils.recipe_parser import OpenR1Parser


SFT = (ScriptArguments, SFTConfig, ModelConfig)
GRPO = (GRPOScriptArguments, GRPOConfig, ModelConfig)


@pytest.fixture
def recipe(tmp_path):
    def write(**options) -> str:
        path = tmp_path / "recipe.yaml"
        path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "dataset_name": "data.jsonl", **options}))
        return str(path)

    return write


@pytest.fixture
def warnings(caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.utils.recipe_parser")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.recipe_parser"]


def test_unknown_keys_are_listed_with_at_most_three_close_names(recipe):
    path = recipe(eval_step=10, qwertyuiop=1)
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert str(error.value) == (
        f"Recipe {path} sets options no config knows (ScriptArguments, SFTConfig, ModelConfig):\n"
        "  eval_step (did you mean eval_steps, eval_strategy, max_steps?)\n"
        "  qwertyuiop\n"
        "Fix the spelling or remove the key; `--help` lists every option."
    )


def test_a_dropped_option_says_where_its_setting_lives_now(recipe, warnings):
    path = recipe(logging_dir="runs")
    OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert warnings() == [
        f"Recipe {path}: `logging_dir` is ignored: transformers 5 removed it; TensorBoard logs go under output_dir. "
        "Remove it to silence this."
    ]


def test_a_rename_without_a_successor_here_says_why(recipe, warnings):
    path = recipe(preprocessing_num_workers=8)
    OpenR1Parser(GRPO).parse_args_and_config(["--config", path])
    assert warnings() == [
        f"Recipe {path}: `preprocessing_num_workers` is ignored: its successor `dataset_num_proc` (alignment-handbook's "
        "name; trl calls it dataset_num_proc) is not an option of this entry point. Remove it to silence this."
    ]


def test_a_renamed_option_on_the_command_line_keeps_its_value_as_typed(recipe):
    # YAML would read `no` as false; a renamed option's value goes to the new option untouched.
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(
        ["--config", recipe(), "--evaluation_strategy", "no"]
    )
    assert training_args.eval_strategy == "no"


def test_several_dataset_configs_without_a_mixer_say_what_to_write(recipe):
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(dataset_configs=["math", "code"])])
    assert str(error.value) == (
        "`dataset_configs` lists ['math', 'code']: several configs belong to several datasets, which is a mixture. "
        "Write a `dataset_mixture` with one `config` per dataset, or set `dataset_config` to one config."
    )
