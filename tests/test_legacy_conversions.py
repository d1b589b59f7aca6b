"""Legacy options whose value is rewritten, not just renamed, keep their intent; conflicts and oddities fail clearly.

A flag that became a choice (`adafactor: true` -> `optim: adafactor`), an option that moved into a dict
(`split_batches` -> `accelerator_config.split_batches`), alignment-handbook's dataset keys: each is checked by the
option the training run reads, with expectations written by hand from what the old option did.
"""

import logging
import re
from pathlib import Path

import pytest
import yaml
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils import legacy_options
from open_r1.utils.recipe_parser import OpenR1Parser


SFT = (ScriptArguments, SFTConfig, ModelConfig)
GRPO = (GRPOScriptArguments, GRPOConfig, ModelConfig)


def _values(items):
    return [getattr(item, "value", item) for item in items]


# old key, value, how to read the current option from the parsed (script, training, model) configs, expected.
CONVERSIONS = [
    ("dataset_configs", ["all"], lambda p: p[0].dataset_config, "all"),
    ("dataset_configs", "default", lambda p: p[0].dataset_config, "default"),
    (
        "gradient_checkpointing_use_reentrant",
        False,
        lambda p: p[1].gradient_checkpointing_kwargs,
        {"use_reentrant": False},
    ),
    ("use_flash_attention_2", True, lambda p: p[2].attn_implementation, "flash_attention_2"),
    ("adafactor", True, lambda p: getattr(p[1].optim, "value", p[1].optim), "adafactor"),
    ("group_by_length", True, lambda p: p[1].train_sampling_strategy, "group_by_length"),
    ("include_inputs_for_metrics", True, lambda p: p[1].include_for_metrics, ["inputs"]),
    ("tpu_metrics_debug", True, lambda p: _values(p[1].debug), ["tpu_metrics_debug"]),
    ("split_batches", True, lambda p: p[1].accelerator_config.split_batches, True),
    ("dispatch_batches", False, lambda p: p[1].accelerator_config.dispatch_batches, False),
    ("fsdp_min_num_params", 100000, lambda p: p[1].fsdp_config["min_num_params"], 100000),
    (
        "fsdp_transformer_layer_cls_to_wrap",
        "Qwen2DecoderLayer",
        lambda p: p[1].fsdp_config["transformer_layer_cls_to_wrap"],
        "Qwen2DecoderLayer",
    ),
    ("truncation_side", "left", lambda p: p[1].truncation_mode, "keep_end"),
    ("truncation_side", "right", lambda p: p[1].truncation_mode, "keep_start"),
]


def _recipe(tmp_path, **options) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "dataset_name": "data.jsonl", **options}))
    return str(path)


@pytest.fixture
def parser_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.utils.recipe_parser")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.recipe_parser"]


@pytest.mark.parametrize("old, value, read, expected", CONVERSIONS, ids=[f"{c[0]}={c[1]}" for c in CONVERSIONS])
def test_a_converted_option_in_a_recipe_keeps_its_intent(tmp_path, parser_warnings, old, value, read, expected):
    parsed = OpenR1Parser(SFT).parse_args_and_config(["--config", _recipe(tmp_path, **{old: value})])
    assert read(parsed) == expected
    warnings = parser_warnings()
    new = legacy_options.CONVERTED_FIELDS[old][0]
    assert len(warnings) == 1 and f"`{old}`" in warnings[0] and f"`{new}`" in warnings[0], warnings


@pytest.mark.parametrize("partial, mode", [(True, "partial"), (False, "pass_fail")])
def test_codeforces_partial_grading_flag_becomes_a_scoring_mode(tmp_path, parser_warnings, partial, mode):
    recipe = _recipe(tmp_path, code_eval_partial_grading=partial, reward_funcs=["cf_code"])
    script_args, _, _ = OpenR1Parser(GRPO).parse_args_and_config(["--config", recipe])
    assert script_args.code_eval_scoring_mode == mode
    (warning,) = parser_warnings()
    assert "`code_eval_partial_grading` is a legacy name, read as `code_eval_scoring_mode`" in warning


def test_every_converted_option_is_checked_here():
    checked = {c[0] for c in CONVERSIONS} | {"code_eval_partial_grading"}
    assert checked == set(legacy_options.CONVERTED_FIELDS), "add the new converted option to CONVERSIONS"


@pytest.mark.parametrize(
    "cli, read, expected",
    [
        (["--use_flash_attention_2"], lambda p: p[2].attn_implementation, "flash_attention_2"),
        (
            ["--adafactor", "--seed", "7"],
            lambda p: (getattr(p[1].optim, "value", p[1].optim), p[1].seed),
            ("adafactor", 7),
        ),
        (
            ["--gradient_checkpointing_use_reentrant", "false"],
            lambda p: p[1].gradient_checkpointing_kwargs,
            {"use_reentrant": False},
        ),
        (
            ["--gradient_checkpointing_use_reentrant=true"],
            lambda p: p[1].gradient_checkpointing_kwargs,
            {"use_reentrant": True},
        ),
        (["--dataset_configs", "all", "--seed", "7"], lambda p: (p[0].dataset_config, p[1].seed), ("all", 7)),
        (["--include_inputs_for_metrics"], lambda p: p[1].include_for_metrics, ["inputs"]),
    ],
    ids=["bare-flag-to-choice", "bare-flag-then-option", "into-dict", "into-dict-attached", "list-to-one", "to-list"],
)
def test_a_converted_option_on_the_command_line_keeps_its_intent(tmp_path, cli, read, expected):
    parsed = OpenR1Parser(SFT).parse_args_and_config(["--config", _recipe(tmp_path), *cli])
    assert read(parsed) == expected


@pytest.mark.parametrize(
    "old", ["use_flash_attention_2", "adafactor", "group_by_length", "include_inputs_for_metrics"]
)
def test_a_flag_set_to_false_asks_for_the_default_and_is_dropped_with_a_warning(tmp_path, parser_warnings, old):
    parsed = OpenR1Parser(SFT).parse_args_and_config(["--config", _recipe(tmp_path, **{old: False})])
    baseline = OpenR1Parser(SFT).parse_args_and_config(["--config", _recipe(tmp_path)])
    new = legacy_options.CONVERTED_FIELDS[old][0]
    where = 2 if new == "attn_implementation" else 1
    assert getattr(parsed[where], new) == getattr(baseline[where], new)
    (warning,) = parser_warnings()
    assert f"`{old}: False` is ignored" in warning and f"`{new}`" in warning


def test_a_moved_option_merges_into_the_dict_the_recipe_sets(tmp_path):
    recipe = _recipe(
        tmp_path,
        gradient_checkpointing_kwargs={"preserve_rng_state": False},
        gradient_checkpointing_use_reentrant=False,
    )
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", recipe])
    assert training_args.gradient_checkpointing_kwargs == {"preserve_rng_state": False, "use_reentrant": False}


def test_a_moved_option_contradicting_the_dict_is_an_error(tmp_path):
    recipe = _recipe(
        tmp_path, gradient_checkpointing_kwargs={"use_reentrant": True}, gradient_checkpointing_use_reentrant=False
    )
    with pytest.raises(ValueError, match="sets both `gradient_checkpointing_kwargs` and `gradient_checkpointing_use"):
        OpenR1Parser(SFT).parse_args_and_config(["--config", recipe])


def test_a_rename_this_entry_point_has_no_successor_for_is_dropped_with_a_warning(tmp_path, parser_warnings):
    # dataset_num_proc is an SFT option: GRPO has no dataset preprocessing to parallelize.
    parsed = OpenR1Parser(GRPO).parse_args_and_config(["--config", _recipe(tmp_path, preprocessing_num_workers=8)])
    assert not hasattr(parsed[1], "dataset_num_proc")
    (warning,) = parser_warnings()
    assert "`preprocessing_num_workers` is ignored: its successor `dataset_num_proc`" in warning


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dataset_configs": ["math", "code"]}, "several configs belong to several datasets"),
        ({"dataset_mixer": {"a": 0.5, "b": 1.0}, "dataset_configs": ["x"]}, "has 1 entries for the 2 datasets"),
        ({"dataset_mixer": ["a", "b"]}, "must map dataset ids to fractions"),
        ({"dataset_mixer": {"a": 1.5, "b": 1.0}}, "must lie in (0, 1]"),
        ({"dataset_splits": "train", "dataset_train_split": "other"}, "keep only `dataset_train_split`"),
        ({"truncation_side": "middle"}, "must be left or right"),
    ],
    ids=["configs-without-mixer", "configs-count", "mixer-shape", "mixer-fraction", "split-conflict", "truncation"],
)
def test_legacy_dataset_keys_that_cannot_be_read_fail_saying_why(tmp_path, options, message):
    with pytest.raises(ValueError) as error:
        OpenR1Parser(SFT).parse_args_and_config(["--config", _recipe(tmp_path, **options)])
    assert message in str(error.value)


def test_dataset_splits_alone_name_the_train_and_test_splits(tmp_path, parser_warnings):
    recipe = _recipe(tmp_path, dataset_splits=["train_sft", "test_sft"])
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", recipe])
    assert (script_args.dataset_train_split, script_args.dataset_test_split) == ("train_sft", "test_sft")
    (warning,) = parser_warnings()
    assert "`dataset_train_split: train_sft`, `dataset_test_split: test_sft`" in warning


def test_a_mixer_with_test_splits_says_the_mixture_has_none(tmp_path, parser_warnings):
    recipe = _recipe(tmp_path, dataset_mixer={"a": 0.25, "b": 1.0}, dataset_splits=["train", "test"], seed=3)
    script_args, _, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", recipe])
    assert [(d.id, d.split, d.weight) for d in script_args.dataset_mixture.datasets] == [
        ("a", "train", 0.25),
        ("b", "train", 1.0),
    ]
    assert script_args.dataset_mixture.seed == 3
    (warning,) = parser_warnings()
    assert "add `test_split_size` to dataset_mixture" in warning


def test_an_unquoted_no_in_a_strategy_is_the_string_no(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(f"output_dir: {tmp_path}\ndataset_name: d\neval_strategy: no\nsave_strategy: no\n")
    _, training_args, _ = OpenR1Parser(SFT).parse_args_and_config(["--config", str(path)])
    assert training_args.eval_strategy == "no" and training_args.save_strategy == "no"


def test_the_docs_count_the_legacy_table_right():
    """docs/legacy_options.md (linked from the README's "Coming from open-r1") counts each group of the table."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "legacy_options.md").read_text()
    counts = {kind: int(n) for kind, n in re.findall(r"\*\*(Renamed|Converted|Dropped)\*\* \((\d+)", page)}
    assert counts == {
        "Renamed": len(legacy_options.RENAMED_FIELDS),
        "Converted": len(legacy_options.CONVERTED_FIELDS),
        "Dropped": len(legacy_options.DROPPED_FIELDS),
    }
