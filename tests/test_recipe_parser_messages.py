"""What the recipe parser tells the user, word for word, and the legacy options only the command line can show.

A recipe written for an older trl or transformers is read with one warning per legacy key, and a key no config
knows stops the run; those messages are the whole interface of the parser, so they are checked in full here.
"""

import logging
import os
import sys

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
        options = {"output_dir": str(tmp_path / "out"), "dataset_name": "data.jsonl", **options}
        path.write_text(yaml.safe_dump({key: value for key, value in options.items() if value is not None}))
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


def test_each_kind_of_legacy_option_warns_once_naming_its_successor(recipe, warnings):
    path = recipe(max_seq_length=512, adafactor=True, use_flash_attention_2=False)
    _, training_args, model_args = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert training_args.max_length == 512 and training_args.optim == "adafactor"
    assert model_args.attn_implementation is None
    assert sorted(warnings()) == [
        f"Recipe {path}: `adafactor` is a legacy name, read as `optim`: 'adafactor' (transformers selects the "
        "optimizer with optim). Rename it to silence this.",
        f"Recipe {path}: `max_seq_length` is a legacy name, read as `max_length` (trl 0.20 renamed "
        "SFTConfig.max_seq_length). Rename it to silence this.",
        f"Recipe {path}: `use_flash_attention_2: False` is ignored: it asks for the default of `attn_implementation` "
        "(alignment-handbook's flag; transformers selects attention with attn_implementation). Remove it to silence "
        "this.",
    ]


def test_alignment_handbooks_three_dataset_keys_together_make_a_mixture_with_configs(recipe):
    path = recipe(dataset_mixer={"a": 0.5, "b": 1.0}, dataset_splits=["train"], dataset_configs=["x", "y"])
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert [(d.id, d.config, d.split, d.weight) for d in script_args.dataset_mixture.datasets] == [
        ("a", "x", "train", 0.5),
        ("b", "y", "train", 1.0),
    ]


# --- alignment-handbook's dataset keys ----------------------------------------------------------------------------


def test_one_whole_dataset_of_a_mixer_is_read_as_that_dataset_with_its_splits_and_config(recipe, warnings):
    # The most common alignment-handbook recipe: `dataset_mixer: {org/data: 1.0}`.
    path = recipe(
        dataset_name=None,
        dataset_mixer={"org/data": 1.0},
        dataset_splits=["train_sft", "test_sft"],
        dataset_configs="default",
    )
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert script_args.dataset_mixture is None
    assert (script_args.dataset_name, script_args.dataset_config) == ("org/data", "default")
    assert (script_args.dataset_train_split, script_args.dataset_test_split) == ("train_sft", "test_sft")
    assert warnings() == [
        f"Recipe {path}: `dataset_mixer`/`dataset_splits` are alignment-handbook's names; one whole dataset is read as "
        "`dataset_name: org/data`, `dataset_train_split: train_sft`, `dataset_config: default`, "
        "`dataset_test_split: test_sft`. Rename them to silence this."
    ]


@pytest.mark.parametrize(
    "mixer, splits, expected",
    [
        ({"org/data": 0.5}, ["train"], [("org/data", "train", 0.5)]),
        ({"org/a": 1.0, "org/b": 1.0}, ["train"], [("org/a", "train", 1.0), ("org/b", "train", 1.0)]),
        ({"org/data": 1.0}, ["train_a", "train_b"], [("org/data", "train_a", 1.0), ("org/data", "train_b", 1.0)]),
        ({"org/a": 0.5, "org/b": 1.0}, None, [("org/a", "train", 0.5), ("org/b", "train", 1.0)]),
    ],
    ids=["a-fraction", "two-datasets", "two-train-splits", "no-splits"],
)
def test_anything_but_one_whole_dataset_is_a_mixture(recipe, mixer, splits, expected):
    options = {"dataset_mixer": mixer} if splits is None else {"dataset_mixer": mixer, "dataset_splits": splits}
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(**options)])
    assert [(d.id, d.split, d.weight) for d in script_args.dataset_mixture.datasets] == expected


def test_dataset_splits_read_from_a_comma_separated_string_or_defaulting_to_train(recipe):
    path = recipe(dataset_name=None, dataset_mixer={"org/data": 1.0}, dataset_splits="train_sft, test_sft")
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert (script_args.dataset_train_split, script_args.dataset_test_split) == ("train_sft", "test_sft")
    # No split named like `train`: the dataset's `train` split trains, the named one evaluates.
    path = recipe(dataset_name=None, dataset_mixer={"org/data": 1.0}, dataset_splits=["test"])
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert (script_args.dataset_train_split, script_args.dataset_test_split) == ("train", "test")


def test_dataset_splits_alone_with_a_config_warn_once_each(recipe, warnings):
    path = recipe(dataset_splits=["train_sft", "test_sft"], dataset_configs=["default"])
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert script_args.dataset_config == "default"
    assert warnings() == [
        f"Recipe {path}: `dataset_configs` is a legacy name, read as `dataset_config`: 'default' (alignment-handbook's "
        "list of configs, one per dataset; with one dataset it is trl's dataset_config). Rename it to silence this.",
        f"Recipe {path}: `dataset_splits: ['train_sft', 'test_sft']` is a legacy name, read as "
        "`dataset_train_split: train_sft`, `dataset_test_split: test_sft`. Rename it to silence this.",
    ]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dataset_splits": [1, 2]}, "{path}: `dataset_splits` must be a list of split names, got [1, 2]."),
        (
            {"dataset_mixer": {"a": 0.5, "b": 1.0}, "dataset_configs": ["x"]},
            "{path}: `dataset_configs` has 1 entries for the 2 datasets of `dataset_mixer`; give one config per "
            "dataset, in the same order.",
        ),
        (
            {"dataset_splits": ["train"], "dataset_train_split": "other"},
            "{path} sets `dataset_train_split: other` and legacy dataset keys that mean `dataset_train_split: train`; "
            "keep only `dataset_train_split`.",
        ),
        (
            {"dataset_mixer": {"org/data": 1.0}},
            "{path} sets `dataset_name: data.jsonl` and legacy dataset keys that mean `dataset_name: org/data`; "
            "keep only `dataset_name`.",
        ),
    ],
    ids=["splits-not-names", "configs-count", "split-conflict", "name-conflict"],
)
def test_unreadable_dataset_keys_say_what_to_write(recipe, options, message):
    path = recipe(**options)
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert str(error.value) == message.format(path=f"Recipe {path}")


def test_a_mixture_read_from_alignment_handbooks_keys_is_shown_and_a_lost_test_split_said(recipe, warnings):
    path = recipe(dataset_mixer={"a": 0.25, "b": 1.0}, dataset_splits=["train", "test"], seed=3)
    OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    recipe(dataset_mixer={"a": 0.25, "b": 1.0})  # the same file, now without a test split
    OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    mixture = (
        "{'datasets': [{'id': 'a', 'split': 'train', 'weight': 0.25}, {'id': 'b', 'split': 'train', 'weight': 1.0}]"
    )
    assert warnings() == [
        f"Recipe {path}: `dataset_mixer`/`dataset_splits` are alignment-handbook's names, read as "
        f"`dataset_mixture: {mixture}, 'seed': 3}}`. alignment-handbook also evaluated on the ['test'] splits; a "
        "mixture has no named test splits, so add `test_split_size` to dataset_mixture to hold out a fraction for "
        "evaluation. Rename them to silence this.",
        f"Recipe {path}: `dataset_mixer`/`dataset_splits` are alignment-handbook's names, read as "
        f"`dataset_mixture: {mixture}}}`. Rename them to silence this.",
    ]


def test_a_legacy_option_written_with_dashes_on_the_command_line_is_read(recipe):
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(), "--max-seq-length", "256"])
    assert training_args.max_length == 256


def test_an_unquoted_no_warns_that_it_was_read_as_the_string(tmp_path, warnings):
    path = tmp_path / "recipe.yaml"
    path.write_text(f"output_dir: {tmp_path}\ndataset_name: d\neval_strategy: no\n")
    OpenR1Parser(SFT).parse_args_and_config(["--config", str(path)])
    assert warnings() == [
        f"Recipe {path}: `eval_strategy: no` is read as the string 'no' (quote it: YAML reads no as false)."
    ]


@pytest.mark.parametrize(
    "options, first, second, kept",
    [
        ({"max_length": 256, "max_seq_length": 512}, "max_length", "max_seq_length", "max_length"),
        ({"use_liger": True, "use_liger_kernel": True}, "use_liger", "use_liger_kernel", "use_liger_kernel"),
    ],
    ids=["legacy-after-current", "current-after-legacy"],
)
def test_an_option_set_under_its_old_and_new_name_is_an_error(recipe, options, first, second, kept):
    path = recipe(**options)
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    assert str(error.value) == f"Recipe {path} sets both `{first}` and `{second}`; keep only `{kept}`."


def test_a_mixture_set_both_ways_is_an_error_naming_the_recipe(recipe):
    path = recipe(dataset_mixture={"datasets": [{"id": "x"}]}, dataset_mixer={"a": 0.5, "b": 1.0})
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", path])
    message = str(error.value)
    assert message.startswith(f"Recipe {path} sets `dataset_mixture: {{'datasets': [{{'id': 'x'}}]}}` and legacy")
    assert message.endswith("; keep only `dataset_mixture`.")


# --- the command line ---------------------------------------------------------------------------------------------


def test_the_recipe_can_be_given_as_config_equals_path_even_with_an_equals_sign_in_it(tmp_path):
    folder = tmp_path / "lr=1e-5"
    folder.mkdir()
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "dataset_name": "d", "max_steps": 7}))
    script_args, training_args, _ = OpenR1Parser(SFT).parse_args_and_config([f"--config={path}"])
    assert (script_args.dataset_name, training_args.max_steps) == ("d", 7)


def test_the_command_line_is_read_from_sys_argv_by_default(recipe, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["sft.py", "--config", recipe(), "--max_steps", "9"])
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config()
    assert training_args.max_steps == 9


def test_a_recipe_that_is_missing_or_not_a_mapping_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", str(tmp_path / "nope.yaml")])
    assert str(error.value) == f"Recipe {tmp_path / 'nope.yaml'} does not exist (passed with --config)."
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", str(listing)])
    assert str(error.value) == f"Recipe {listing} must be a YAML mapping of option: value."


def test_a_recipes_env_block_sets_environment_variables(recipe, monkeypatch):
    monkeypatch.setenv("OPEN_R1_RECIPE_TEST_VAR", "unset")  # restored after the test
    OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(env={"OPEN_R1_RECIPE_TEST_VAR": 3})])
    assert os.environ["OPEN_R1_RECIPE_TEST_VAR"] == "3"


def test_unknown_command_line_options_are_listed_with_close_names(recipe):
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(), "--learning_rat=3e-5", "--config"])
    assert str(error.value) == (
        "The command line sets options no config knows (ScriptArguments, SFTConfig, ModelConfig):\n"
        "  learning_rat (did you mean learning_rate?)\n"
        "  config (did you mean fsdp_config, dataset_config?)\n"
        "Fix the spelling or remove the key; `--help` lists every option."
    )


def test_options_are_not_abbreviated_and_a_value_is_not_optional(recipe):
    with pytest.raises(ValueError, match="num_train_epoch "):
        OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(), "--num_train_epoch", "3"])
    with pytest.raises(SystemExit):  # argparse: --max_steps expected one argument
        OpenR1Parser(SFT).parse_args_and_config(["--config", recipe(), "--max_steps"])


def test_legacy_options_on_the_command_line_keep_the_rest_and_warn_as_the_command_line(recipe, warnings):
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(
        ["--config", recipe(), "--learning_rate", "3e-5", "--max_seq_length", "64", "--adafactor"]
        + ["--include_inputs_for_metrics", "true", "--no_cuda"]
    )
    assert training_args.learning_rate == 3e-5 and training_args.max_length == 64
    assert training_args.optim == "adafactor" and training_args.include_for_metrics == ["inputs"]
    assert training_args.use_cpu is True  # a bare renamed flag is true
    assert warnings()[:2] == [
        "command line: `max_seq_length` is a legacy name, read as `max_length` (trl 0.20 renamed "
        "SFTConfig.max_seq_length). Rename it to silence this.",
        "command line: `adafactor` is a legacy name, read as `optim`: 'adafactor' (transformers selects the "
        "optimizer with optim). Rename it to silence this.",
    ]


def test_a_config_flag_without_a_recipe_is_an_unknown_option_not_a_crash(tmp_path):
    with pytest.raises(ValueError, match=r"sets options no config knows .*\n  config"):
        OpenR1Parser(SFT).parse_args_and_config(["--output_dir", str(tmp_path), "--config"])
