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

import ast
import logging
import netrc
import os
import shlex
import sys
import urllib.parse

import datasets
import transformers

from . import run_record
from .run_record import Plan


logger = logging.getLogger("open_r1")


def setup_logging(training_args) -> None:
    """One format and one level (the recipe's `log_level`) for open_r1, transformers and datasets."""
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


def log_configuration(script_args, training_args, model_args) -> None:
    """The run's full configuration, so a log alone says what was run."""
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


def plan_run(script_args, training_args, model_args) -> Plan:
    """What this launch does with output_dir (see utils/run_record.py): resume its own checkpoint, start, or say the
    run is finished. Fails on another run's checkpoint, before any data or model is loaded."""
    plan = run_record.plan_run(training_args, script_args, model_args, training_args)
    if plan.finished and training_args.process_index == 0:
        print(plan.finished, flush=True)
    return plan


class _TiedWeightsExplained(logging.Filter):
    """On resume, transformers warns "There were missing keys in the checkpoint model loaded: ['lm_head.weight']" for
    a model with tied embeddings: checkpoints store a tied weight once, under the name it is tied to. When every
    missing key is still the very tensor of the weight it is tied to, nothing is missing; the warning becomes a line
    that says so. Any other missing key keeps transformers' warning."""

    _PREFIX = "There were missing keys in the checkpoint model loaded: "

    def __init__(self, model):
        super().__init__()
        self.model = model

    def _tied_to(self, key: str) -> str | None:
        target = (getattr(self.model, "all_tied_weights_keys", None) or {}).get(key)
        try:
            same = target is not None and self.model.get_parameter(key) is self.model.get_parameter(target)
        except AttributeError:
            return None
        return target if same else None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(self._PREFIX):
            return True
        try:
            missing = ast.literal_eval(message[len(self._PREFIX) :].rstrip("."))
        except (ValueError, SyntaxError):
            return True
        targets = [self._tied_to(key) for key in missing]
        if not missing or None in targets:
            return True
        tied = ", ".join(f"{key} is {target}" for key, target in zip(missing, targets))
        record.msg, record.args = (
            f"Checkpoint loaded; tied embeddings ({tied}) are stored once, so nothing is missing.",
            (),
        )
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _launch_command() -> list[str]:
    """The command that started this run: `accelerate launch ...` when that is this process's parent, else this one."""
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as file:  # Linux; elsewhere the process's own command
            parent = [part.decode() for part in file.read().split(b"\0") if part]
    except OSError:
        parent = []
    for index, part in enumerate(parent[:3]):
        if os.path.basename(part) == "accelerate" and parent[index + 1 : index + 2] == ["launch"]:
            return parent[index:]
    return list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))


def _say_how_to_resume(trainer, training_args) -> None:
    if not trainer.accelerator.is_main_process:
        return
    for callback in trainer.callback_handler.callbacks:  # the progress bar, closed now, is not drawn after the line
        if isinstance(callback, transformers.ProgressCallback) and callback.training_bar is not None:
            callback.training_bar.close()
            callback.training_bar = None
    newest = run_record.complete_checkpoints(training_args.output_dir)
    where = (
        f"The newest checkpoint is {newest[0]}; this command resumes from it:"
        if newest
        else "No checkpoint was saved yet; this command starts again:"
    )
    sys.stdout.flush()
    print(  # on a line of its own: the progress bar's line has no end
        f"\nStopped at step {trainer.state.global_step} (Ctrl-C). {where} {shlex.join(_launch_command())}",
        file=sys.stderr,
        flush=True,
    )


def _name_local_sources(output_dir: str, base_model: str | None, dataset_name: str) -> None:
    """trl's model card links its base model and dataset to huggingface.co, and names a base model it found in a
    local folder, and an unpushed model, "None"; local ones are named as the paths they are, without a link."""
    card_path = os.path.join(output_dir, "README.md")
    if not os.path.isfile(card_path):
        return
    with open(card_path) as file:
        card = file.read()
    card = card.replace('model="None"', f'model="{output_dir}"')
    if base_model and os.path.isdir(base_model):
        card = card.replace("[None](https://huggingface.co/None)", f"`{base_model}` (a local model)")
    if dataset_name and os.path.exists(dataset_name):
        hub_link = f"[{dataset_name}](https://huggingface.co/datasets/{dataset_name}) dataset"
        card = card.replace(hub_link, f"`{dataset_name}` dataset (a local file)")
    with open(card_path, "w") as file:
        file.write(card)


def train_and_save(trainer, training_args, script_args, train_dataset, tokenizer, plan: Plan) -> None:
    """Trains (resuming the plan's checkpoint), saves model + card, then evaluates and pushes when asked."""
    logger.info("*** Train ***")
    trainer.add_callback(run_record.RunRecordCallback(plan.definition))
    if plan.checkpoint is not None:
        logging.getLogger("transformers.trainer").addFilter(_TiedWeightsExplained(trainer.model))
    try:
        train_result = trainer.train(resume_from_checkpoint=plan.checkpoint)
    except KeyboardInterrupt:  # Ctrl-C: one line that says how to go on, not a traceback through the trainer
        _say_how_to_resume(trainer, training_args)
        raise SystemExit(130) from None
    metrics = train_result.metrics
    metrics["train_samples"] = len(train_dataset)
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)

    logger.info("*** Save model ***")
    # Generation must stop at the chat template's end-of-turn token, or `generate()`/pipelines never stop.
    trainer.model.generation_config.eos_token_id = tokenizer.eos_token_id
    base_model = trainer.model.config.name_or_path  # before save_model: the model it started from
    trainer.save_model(training_args.output_dir)
    logger.info("Model saved to %s", training_args.output_dir)

    dataset_name = script_args.dataset_name or ", ".join(d.id for d in script_args.dataset_mixture.datasets)
    card_kwargs = {"dataset_name": dataset_name, "tags": ["open-r1"]}
    model_name = (trainer.hub_model_id or os.path.abspath(training_args.output_dir)).rstrip("/").split("/")[-1]
    if trainer.accelerator.is_main_process:
        trainer.create_model_card(model_name=model_name, **card_kwargs)
        _name_local_sources(training_args.output_dir, base_model, dataset_name)
        # Training ran without the KV cache; inference wants it back.
        trainer.model.config.use_cache = True
        trainer.model.config.save_pretrained(training_args.output_dir)
    # Last: a final trainer_state.json in output_dir is what says the run finished (run_record.plan_run).
    trainer.save_state()

    if training_args.do_eval and trainer.eval_dataset is not None:
        logger.info("*** Evaluate ***")
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)

    if training_args.push_to_hub:
        logger.info("Pushing to hub...")
        trainer.push_to_hub(**card_kwargs)
