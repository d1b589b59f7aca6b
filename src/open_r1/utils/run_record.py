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
"""What a run is, written into its output_dir, so a relaunch resumes only its own checkpoints.

A run resumes from the newest `checkpoint-*` of its output_dir (a preempted job relaunched with the same command
picks up where it was). transformers resumes whatever checkpoint it finds there; a second command pointed at the same
folder, with another dataset or model, would then continue the first run's weights, or find it finished and train
nothing, and exit 0. So each run writes its definition (`open_r1_run.json`: model, data, rewards and the options
that change training) into output_dir and into every checkpoint it saves, and a run that finds a checkpoint compares
the definitions before anything is loaded:

- same run, unfinished: it resumes (the checkpoint's step, optimizer and data position);
- same run, finished (its final trainer_state.json is at max_steps): nothing to do, exit 0, nothing is touched;
- another run: it stops, naming the options that differ and the ways out (a new output_dir, `resume_other_run`,
  `start_over`).

max_steps and num_train_epochs are not part of the definition: raising them continues a finished run.
"""

import json
import logging
import os
import shutil
from dataclasses import dataclass
from typing import Any

from transformers import TrainerCallback


logger = logging.getLogger("open_r1")

RUN_RECORD = "open_r1_run.json"
TRAINER_STATE = "trainer_state.json"  # transformers' TRAINER_STATE_NAME: written last in a checkpoint, and at the end

# The options that decide what a run trains, in whichever config holds them. Others (logging, saving, evaluation,
# hub, how generation is served, max_steps) may change between the launches of one run.
DEFINING_OPTIONS = (
    "model_name_or_path",
    "model_revision",
    "dtype",
    "use_peft",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "lora_target_modules",
    "load_in_4bit",
    "load_in_8bit",
    "dataset_name",
    "dataset_config",
    "dataset_mixture",
    "dataset_train_split",
    "dataset_prompt_column",
    "max_prompt_tokens",
    "system_prompt",
    "chat_template",
    "reward_funcs",
    "reward_weights",
    "seed",
    "learning_rate",
    "lr_scheduler_type",
    "lr_scheduler_kwargs",
    "warmup_steps",
    "weight_decay",
    "optim",
    "adam_beta1",
    "adam_beta2",
    "max_grad_norm",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "max_length",
    "packing",
    "completion_only_loss",
    "assistant_only_loss",
    "num_generations",
    "max_completion_length",
    "temperature",
    "top_p",
    "beta",
    "epsilon",
    "epsilon_high",
    "loss_type",
    "scale_rewards",
    "importance_sampling_level",
    "mask_truncated_completions",
    "top_entropy_quantile",
    "num_iterations",
    "dynamic_sampling",
    "dynamic_sampling_metric",
)
_PATH_OPTIONS = ("model_name_or_path", "dataset_name")


def _plain(value: Any) -> Any:
    """A JSON value: what a record holds, so a definition and a reloaded record compare equal."""
    return json.loads(json.dumps(value, default=lambda v: getattr(v, "value", None) or getattr(v, "__dict__", str(v))))


def _local(path: Any) -> Any:
    """A local path as an absolute one (`data/x` and `./data/x` are the same dataset); hub ids as they are."""
    return os.path.abspath(path) if isinstance(path, str) and os.path.exists(path) else path


def run_definition(*configs) -> dict[str, Any]:
    """The defining options of a run, read from its parsed configs (script, model and training arguments)."""
    options = {}
    for config in configs:
        for name in DEFINING_OPTIONS:
            if hasattr(config, name) and name not in options:
                value = getattr(config, name)
                options[name] = _local(value) if name in _PATH_OPTIONS else value
    mixture = options.get("dataset_mixture")
    if mixture is not None:
        mixture = _plain(mixture)
        for dataset in mixture["datasets"]:
            dataset["id"] = _local(dataset["id"])
        options["dataset_mixture"] = mixture
    trainer = next((type(c).__name__ for c in configs if hasattr(c, "output_dir")), None)
    return {"trainer": trainer, "options": _plain(options)}


def _read_json(path: str) -> dict | None:
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _shown(value: Any) -> str:
    if isinstance(value, str) and os.path.isabs(value) and value.startswith(os.getcwd() + os.sep):
        value = os.path.relpath(value)
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 200 else text[:197] + "..."  # a chat template or a system prompt: its start


def differences(recorded: dict, current: dict) -> list[str]:
    """'option: A there, B now' for every defining option that differs (the trainer first: SFT vs GRPO)."""
    found = []
    if recorded.get("trainer") != current.get("trainer"):
        found.append(f"trainer: {recorded.get('trainer')} there, {current.get('trainer')} now")
    old, new = recorded.get("options", {}), current.get("options", {})
    for name in DEFINING_OPTIONS:
        if name in old and name in new and old[name] != new[name]:
            found.append(f"{name}: {_shown(old[name])} there, {_shown(new[name])} now")
    return found


def complete_checkpoints(output_dir: str) -> list[str]:
    """The checkpoint folders of output_dir whose save completed (trainer_state.json is written last), newest first.

    A job preempted while it was saving leaves a checkpoint folder without its trainer_state.json; resuming it killed
    every rank, so it is skipped with a warning.
    """
    if not os.path.isdir(output_dir):
        return []
    steps = []
    for name in os.listdir(output_dir):
        prefix, _, step = name.partition("-")
        if prefix == "checkpoint" and step.isdigit() and os.path.isdir(os.path.join(output_dir, name)):
            steps.append(int(step))
    complete = []
    for step in sorted(steps, reverse=True):
        folder = os.path.join(output_dir, f"checkpoint-{step}")
        if os.path.isfile(os.path.join(folder, TRAINER_STATE)):
            complete.append(folder)
        else:
            logger.warning("%s has no %s: its save was interrupted; it is skipped.", folder, TRAINER_STATE)
    return complete


@dataclass
class Plan:
    """What a launch does with its output_dir: resume `checkpoint` (None: from step 0), or nothing (`finished`)."""

    checkpoint: str | None = None
    finished: str | None = None  # the line that says so
    definition: dict | None = None


class OtherRunError(ValueError):
    """output_dir holds the checkpoints of a run defined differently."""


def _fixes(output_dir: str) -> str:
    return (
        f"Fix: pass a new --output_dir, or --resume_other_run true to continue from it anyway, or --start_over true "
        f"to delete the checkpoints and trainer state in {output_dir} and train from step 0."
    )


def start_over(output_dir: str) -> None:
    """Deletes what a run resumes from in output_dir (checkpoints, trainer state, run record); the rest is rewritten."""
    for name in os.listdir(output_dir):
        if name.startswith("checkpoint-"):
            shutil.rmtree(os.path.join(output_dir, name), ignore_errors=True)
    for name in (TRAINER_STATE, RUN_RECORD):
        if os.path.exists(os.path.join(output_dir, name)):
            os.remove(os.path.join(output_dir, name))
    logger.warning("start_over: deleted the checkpoints and trainer state of %s; training from step 0.", output_dir)


def plan_run(training_args, *configs) -> Plan:
    """Decides, from output_dir alone and before any model loads, whether this launch resumes, starts or is done.

    Raises OtherRunError when output_dir holds another run's checkpoint or finished model.
    """
    definition = run_definition(*configs)
    plan = _plan(definition, training_args)
    plan.definition = definition
    return plan


def _plan(definition: dict, training_args) -> Plan:
    output_dir = training_args.output_dir
    if training_args.resume_from_checkpoint is not None:  # the user chose the checkpoint: taken as given
        return Plan(checkpoint=training_args.resume_from_checkpoint)
    if not os.path.isdir(output_dir):
        return Plan()
    if training_args.start_over:
        if training_args.process_index == 0:
            start_over(output_dir)
        return Plan()

    checkpoints = complete_checkpoints(output_dir)
    final_state = _read_json(os.path.join(output_dir, TRAINER_STATE))
    if not checkpoints and final_state is None:
        return Plan()
    newest = checkpoints[0] if checkpoints else None
    found = os.path.basename(newest) if newest else "a finished model"
    recorded = (_read_json(os.path.join(newest, RUN_RECORD)) if newest else None) or _read_json(
        os.path.join(output_dir, RUN_RECORD)
    )
    if recorded is None:
        logger.warning(
            "%s holds %s saved without a record of its run (%s, written since open-r1 checks what it resumes): it "
            "is taken to be this run's.",
            output_dir,
            found,
            RUN_RECORD,
        )
    else:
        differ = differences(recorded, definition)
        if differ and not training_args.resume_other_run:
            raise OtherRunError(
                f"{output_dir} holds {found} of another run ({'; '.join(differ)}). {_fixes(output_dir)}"
            )
        if differ:
            logger.warning("resume_other_run: continuing %s of another run (%s).", found, "; ".join(differ))

    state = final_state or _read_json(os.path.join(newest, TRAINER_STATE))
    target = training_args.max_steps if training_args.max_steps > 0 else state.get("max_steps", 0)
    step = state.get("global_step", 0)
    if target and step >= target:
        if final_state is None:  # trained to the end, stopped while saving the final model
            return Plan(
                finished=f"{output_dir}: training reached step {step} of {target} in {newest}, but the final save "
                f"did not complete; the trained model is in {newest}. Raise --max_steps to train further."
            )
        return Plan(
            finished=f"{output_dir} is already finished (step {step} of {target}; model saved there): nothing to "
            "train. Raise --max_steps to train further, or pass --start_over true or a new --output_dir to train "
            "again."
        )
    if newest is None:  # finished at fewer steps, without checkpoints to continue from
        return Plan()
    if training_args.should_log:  # once per node, as transformers logs
        logger.warning("Checkpoint detected, resuming training at %s (step %d of %s).", newest, step, target or "?")
    return Plan(checkpoint=newest)


def write_run_record(definition: dict, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, RUN_RECORD), "w") as file:
        json.dump(definition, file, indent=2, sort_keys=True)
        file.write("\n")


class RunRecordCallback(TrainerCallback):
    """Writes the run's definition into output_dir when training starts and into every checkpoint it saves."""

    def __init__(self, definition: dict):
        self.definition = definition

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            write_run_record(self.definition, args.output_dir)

    def on_save(self, args, state, control, **kwargs):
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if state.is_world_process_zero and os.path.isdir(folder):
            write_run_record(self.definition, folder)
