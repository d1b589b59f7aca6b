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
"""The parts of a training run that SFT and GRPO share: logging, resuming, and the train-save-publish tail."""

import logging
import netrc
import os
import sys
import urllib.parse

import datasets
import transformers
from transformers.trainer import TRAINER_STATE_NAME


logger = logging.getLogger("open_r1")


def setup_logging(script_args, training_args, model_args) -> None:
    """One format and one level (the recipe's `log_level`) for open_r1, transformers and datasets; logs the run's
    full configuration so a log alone says what was run."""
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.enable_default_handler()
    transformers.utils.logging.enable_explicit_format()
    logger.info(
        "Process rank %s, device %s, n_gpu %s, distributed %s, bf16 %s",
        training_args.process_index,
        training_args.device,
        training_args.n_gpu,
        training_args.parallel_mode.value == "distributed",
        training_args.bf16,
    )
    logger.info("Model parameters %s", model_args)
    logger.info("Script parameters %s", script_args)
    logger.info("Training parameters %s", training_args)


# WANDB_MODE values with which wandb never talks to a server, so needs no login.
_WANDB_LOCAL_MODES = ("offline", "dryrun", "disabled")


def wandb_credentials_found() -> bool:
    """Whether wandb would find credentials: its variables, or the ~/.netrc entry `wandb login` writes for its host.

    Checked from files and variables only, with no request: a machine without a network answers at once.
    """
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    host = urllib.parse.urlparse(os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        return netrc.netrc(path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def init_wandb_training(training_args) -> None:
    """Points wandb at the recipe's entity/project/group (wandb reads these from its documented variables).

    Called first thing, before data or model: without a login and without WANDB_MODE, wandb would otherwise stop
    the run after the model has loaded (or wait for an API key at a prompt no one sees in a batch job).
    """
    mode = os.environ.get("WANDB_MODE", "").strip().lower()
    if mode not in _WANDB_LOCAL_MODES and not wandb_credentials_found():
        raise ValueError(
            "report_to includes wandb, but this machine has no wandb login (no WANDB_API_KEY, no entry for the "
            "W&B host in ~/.netrc) and WANDB_MODE is not set. Fix: log in (`wandb login`, or set WANDB_API_KEY), "
            "or log locally with WANDB_MODE=offline (upload later with `wandb sync`), or drop it: --report_to none."
        )
    if training_args.wandb_entity is not None:
        os.environ["WANDB_ENTITY"] = training_args.wandb_entity
    if training_args.wandb_project is not None:
        os.environ["WANDB_PROJECT"] = training_args.wandb_project
    if training_args.wandb_run_group is not None:
        os.environ["WANDB_RUN_GROUP"] = training_args.wandb_run_group


def find_checkpoint_to_resume(training_args) -> str | None:
    """`resume_from_checkpoint` if set, else the newest complete checkpoint in output_dir: a killed run picks up
    where it was.

    A job preempted (or requeued, or killed) while it was saving leaves a checkpoint folder without its
    trainer_state.json, which the Trainer writes after the weights, optimizer and RNG states; transformers'
    get_last_checkpoint would pick that folder and every rank would die resuming it. Such a folder is skipped, with a
    warning, for the newest checkpoint that was saved to the end.
    """
    if training_args.resume_from_checkpoint is not None:
        return training_args.resume_from_checkpoint
    if not os.path.isdir(training_args.output_dir):
        return None
    steps = []
    for name in os.listdir(training_args.output_dir):
        prefix, _, step = name.partition("-")
        if prefix == "checkpoint" and step.isdigit() and os.path.isdir(os.path.join(training_args.output_dir, name)):
            steps.append(int(step))
    for step in sorted(steps, reverse=True):
        checkpoint = os.path.join(training_args.output_dir, f"checkpoint-{step}")
        if os.path.isfile(os.path.join(checkpoint, TRAINER_STATE_NAME)):
            logger.info("Checkpoint detected, resuming training at %s.", checkpoint)
            return checkpoint
        logger.warning("%s has no %s: its save was interrupted; it is skipped.", checkpoint, TRAINER_STATE_NAME)
    return None


def train_and_save(trainer, training_args, script_args, train_dataset, tokenizer) -> None:
    """Trains (resuming if a checkpoint exists), saves model + card, then evaluates and pushes when asked."""
    logger.info("*** Train ***")
    train_result = trainer.train(resume_from_checkpoint=find_checkpoint_to_resume(training_args))
    metrics = train_result.metrics
    metrics["train_samples"] = len(train_dataset)
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)
    trainer.save_state()

    logger.info("*** Save model ***")
    # Generation must stop at the chat template's end-of-turn token, or `generate()`/pipelines never stop.
    trainer.model.generation_config.eos_token_id = tokenizer.eos_token_id
    trainer.save_model(training_args.output_dir)
    logger.info("Model saved to %s", training_args.output_dir)

    dataset_name = script_args.dataset_name or ", ".join(d.id for d in script_args.dataset_mixture.datasets)
    card_kwargs = {"dataset_name": dataset_name, "tags": ["open-r1"]}
    if trainer.accelerator.is_main_process:
        trainer.create_model_card(**card_kwargs)
        # Training ran without the KV cache; inference wants it back.
        trainer.model.config.use_cache = True
        trainer.model.config.save_pretrained(training_args.output_dir)

    if training_args.do_eval and trainer.eval_dataset is not None:
        logger.info("*** Evaluate ***")
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)

    if training_args.push_to_hub:
        logger.info("Pushing to hub...")
        trainer.push_to_hub(**card_kwargs)
