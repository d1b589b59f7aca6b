"""What a relaunched run does with its output_dir (src/open_r1/utils/run_record.py), decided before anything loads.

Its own unfinished checkpoint: resumed. Its own finished run: nothing to do. Another run's checkpoint (another
dataset, model, rewards, training option): it stops and says which options differ and how to go on.
"""

import json
import logging

import pytest
from conftest import REPO_ROOT
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments, ScriptArguments, SFTConfig
from open_r1.utils.recipe_parser import OpenR1Parser
from open_r1.utils.run_record import RUN_RECORD, OtherRunError, plan_run, run_definition, write_run_record


SFT_RECIPE = str(REPO_ROOT / "recipes/tiny/sft/config_demo.yaml")
GRPO_RECIPE = str(REPO_ROOT / "recipes/tiny/grpo/config_demo.yaml")


def sft_configs(output_dir, *args):
    return OpenR1Parser((ScriptArguments, SFTConfig, ModelConfig)).parse_args_and_config(
        ["--config", SFT_RECIPE, "--output_dir", str(output_dir), *args]
    )


def plan(configs):
    return plan_run(configs[1], *configs)


def checkpoint(output_dir, step: int, configs=None, complete: bool = True, max_steps: int = 20):
    """A checkpoint folder as the Trainer leaves it (trainer_state.json last), with the run record of `configs`."""
    folder = output_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    if complete:
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "max_steps": max_steps}))
    if configs is not None:
        write_run_record(run_definition(*configs), str(folder))
    return folder


def finish(output_dir, configs, step: int = 20):
    """What train_and_save leaves at the end: the final trainer state and the model, beside the checkpoints."""
    (output_dir / "trainer_state.json").write_text(json.dumps({"global_step": step, "max_steps": step}))
    (output_dir / "model.safetensors").write_bytes(b"final weights")
    write_run_record(run_definition(*configs), str(output_dir))


def test_a_checkpoint_of_another_dataset_stops_the_run_naming_the_difference_and_the_fixes(tmp_path):
    first = sft_configs(tmp_path, "--dataset_name", "data/tiny/sft.jsonl")
    checkpoint(tmp_path, 10, first)
    second = sft_configs(tmp_path, "--dataset_name", "data/tiny/traces-sft.jsonl", "--learning_rate", "1e-4")
    with pytest.raises(OtherRunError) as error:
        plan(second)
    message = str(error.value)
    assert f"{tmp_path} holds checkpoint-10 of another run" in message
    assert "dataset_name: data/tiny/sft.jsonl there, data/tiny/traces-sft.jsonl now" in message
    assert "learning_rate: 0.003 there, 0.0001 now" in message
    assert "--output_dir" in message and "--resume_other_run true" in message and "--start_over true" in message
    assert "model_name_or_path" not in message  # only what differs


def test_another_model_or_trainer_is_another_run(tmp_path):
    first = sft_configs(tmp_path)
    checkpoint(tmp_path, 10, first)
    with pytest.raises(OtherRunError, match="model_name_or_path: .*there, .*other-model now"):
        plan(sft_configs(tmp_path, "--model_name_or_path", str(tmp_path / "other-model")))
    grpo = OpenR1Parser((GRPOScriptArguments, GRPOConfig, ModelConfig)).parse_args_and_config(
        ["--config", GRPO_RECIPE, "--output_dir", str(tmp_path)]
    )
    with pytest.raises(OtherRunError, match="trainer: SFTConfig there, GRPOConfig now"):
        plan(grpo)


def test_the_same_run_resumes_its_newest_complete_checkpoint(tmp_path, caplog):
    """A job preempted mid-save leaves checkpoint-N without trainer_state.json: resuming it killed every rank."""
    configs = sft_configs(tmp_path)
    checkpoint(tmp_path, 2, configs)
    newest_complete = checkpoint(tmp_path, 10, configs)  # numeric order, not string order (10 > 9)
    checkpoint(tmp_path, 9, configs)
    checkpoint(tmp_path, 11, configs, complete=False)
    (tmp_path / "checkpoint-notes").mkdir()
    # Options outside the run's definition (logging, saving, max_steps) may change between launches.
    relaunch = sft_configs(tmp_path, "--logging_steps", "1", "--save_steps", "3", "--max_steps", "40")
    with caplog.at_level(logging.WARNING):
        assert plan(relaunch).checkpoint == str(newest_complete)
    messages = [r.getMessage() for r in caplog.records]
    assert any("checkpoint-11" in m and "interrupted" in m for m in messages)
    assert any(f"resuming training at {newest_complete} (step 10 of 40)" in m for m in messages)


def test_a_relative_and_an_absolute_path_are_the_same_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "traces.jsonl").write_text("{}\n")
    out = tmp_path / "out"
    checkpoint(out, 5, sft_configs(out, "--dataset_name", "traces.jsonl"))
    same = sft_configs(out, "--dataset_name", str(tmp_path / "traces.jsonl"))
    assert plan(same).checkpoint == str(out / "checkpoint-5")


def test_a_finished_run_is_not_trained_again_unless_max_steps_grows(tmp_path):
    configs = sft_configs(tmp_path)
    checkpoint(tmp_path, 20, configs)
    finish(tmp_path, configs)
    done = plan(configs)
    assert done.checkpoint is None
    assert done.finished.startswith(f"{tmp_path} is already finished (step 20 of 20")
    assert "--max_steps" in done.finished
    longer = plan(sft_configs(tmp_path, "--max_steps", "30"))
    assert longer.finished is None and longer.checkpoint == str(tmp_path / "checkpoint-20")


def test_a_finished_run_of_another_definition_is_another_run(tmp_path):
    """Without checkpoints (save_strategy: no), a finished model is still not overwritten by another run."""
    finish(tmp_path, sft_configs(tmp_path))
    with pytest.raises(OtherRunError, match="holds a finished model of another run .*seed: 42 there, 7 now"):
        plan(sft_configs(tmp_path, "--seed", "7"))


def test_resume_other_run_and_start_over_are_the_ways_out(tmp_path, caplog):
    checkpoint(tmp_path, 10, sft_configs(tmp_path))
    with caplog.at_level(logging.WARNING):
        resumed = plan(sft_configs(tmp_path, "--seed", "7", "--resume_other_run", "true"))
    assert resumed.checkpoint == str(tmp_path / "checkpoint-10")
    assert any(
        "resume_other_run" in r.getMessage() and "seed: 42 there, 7 now" in r.getMessage() for r in caplog.records
    )

    finish(tmp_path, sft_configs(tmp_path))
    fresh = plan(sft_configs(tmp_path, "--seed", "7", "--start_over", "true"))
    assert fresh.checkpoint is None and fresh.finished is None
    assert not list(tmp_path.glob("checkpoint-*"))
    assert not (tmp_path / "trainer_state.json").exists() and not (tmp_path / RUN_RECORD).exists()


def test_a_checkpoint_saved_without_a_record_is_resumed_with_a_warning(tmp_path, caplog):
    checkpoint(tmp_path, 4)  # written before runs recorded themselves
    with caplog.at_level(logging.WARNING):
        assert plan(sft_configs(tmp_path)).checkpoint == str(tmp_path / "checkpoint-4")
    assert any("without a record of its run" in r.getMessage() for r in caplog.records)


def test_no_checkpoint_or_only_interrupted_ones_starts_fresh(tmp_path):
    assert plan(sft_configs(tmp_path / "missing")).checkpoint is None
    checkpoint(tmp_path, 1, complete=False)
    assert plan(sft_configs(tmp_path)).checkpoint is None


def test_an_explicit_checkpoint_is_taken_as_given(tmp_path):
    configs = sft_configs(tmp_path, "--resume_from_checkpoint", "some/checkpoint-3")
    assert plan(configs).checkpoint == "some/checkpoint-3"
