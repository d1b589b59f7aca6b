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
"""Checks a training recipe for a number of training processes before it is queued. No model, no dataset, no GPU.

    python -m open_r1.check_recipe --config recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml --num_processes 7
    python src/open_r1/grpo.py --config RECIPE.yaml --check --num_processes 7 [--other_option value ...]
    make check-recipe RECIPE=RECIPE.yaml NUM_PROCESSES=7

The recipe and the options after it are parsed exactly as the training run parses them (legacy names included),
with the training config built as if on `--num_processes` processes: trl's GRPOConfig then runs its own checks of
the batch arithmetic (generation batch and eval batch divisible into groups of num_generations) for that count.
Reward names and weights, benchmark names and the dataset mixture are validated as at the start of a run; a user's
own reward is imported and its signature checked (the run also calls it on a dataset row, which needs the data).
The report lists the options that differ from their defaults, the batch per optimizer step, and every warning; the
exit status is 0 when the recipe is valid at that process count, 1 when not (the reason is printed last).

`--num_processes` is the number of training processes (GPUs that train; with `vllm_mode: server`, not the vLLM
GPUs). Without it, the recipe's own `num_processes` key (open-r1's old recipes) or its `# Training processes: N`
header line is used. The entry point (sft or grpo) is `--task`, or else the recipe's folder name.

`--sample N` checks a GRPO recipe's rewards on N rows of its dataset instead (reward_preflight.py: this one loads the
data and the tokenizer, and scores each row's reference, a wrong answer and an empty completion with every reward).
"""

import argparse
import dataclasses
import enum
import logging
import re
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from open_r1.utils.inputs import read_recipe


def _unreadable_recipe(argv: list[str]) -> str | None:
    """Why the recipe of `argv` cannot be read (missing, with the nearest names; not YAML, with the line), or None."""
    config_path = _config_path(argv)
    try:
        if config_path is not None:
            read_recipe(config_path)
    except (OSError, ValueError) as error:
        return str(error)
    return None


def _config_path(args: list[str]) -> str | None:
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__" and _unreadable_recipe(sys.argv[1:]):  # before torch and trl load (5-30 s)
    print(f"Recipe check: FAILED: {_unreadable_recipe(sys.argv[1:])}")
    sys.exit(1)

import transformers  # noqa: E402
from trl import ModelConfig  # noqa: E402

from open_r1.configs import (  # noqa: E402
    GRPOConfig,
    GRPOScriptArguments,
    ScriptArguments,
    SFTConfig,
    check_reward_weights,
)
from open_r1.utils.recipe_parser import OpenR1Parser  # noqa: E402


TASK_CLASSES = {
    "sft": (ScriptArguments, SFTConfig, ModelConfig),
    "grpo": (GRPOScriptArguments, GRPOConfig, ModelConfig),
}
# Options that depend on the machine the check runs on: on a laptop without a GPU the configs turn them off
# (configs._fit_precision_to_hardware). The report shows what the recipe asks for, as the cluster will see it.
_HARDWARE_FITTED = ("bf16", "fp16", "bf16_full_eval", "fp16_full_eval", "tf32", "use_liger_kernel", "use_cpu")
_SECRETS = ("hub_token",)
_LONG = 70  # characters of a value shown before it is cut (chat templates, system prompts)


def _as_on_processes(config_class: type, num_processes: int) -> type:
    """`config_class` as it is built on `num_processes` training processes, on whatever machine runs the check."""

    class Planned(config_class):
        # trl's GRPOConfig.__post_init__ checks its batch arithmetic against `self.world_size`, which transformers
        # reads from the running process group (1 here). Answering the planned count makes trl run its own checks
        # for the cluster, so none of its arithmetic is re-implemented here.
        @property
        def world_size(self) -> int:
            return num_processes

        def _fit_precision_to_hardware(self) -> None:
            self.requested_precision = {name: getattr(self, name) for name in _HARDWARE_FITTED}
            super()._fit_precision_to_hardware()

    Planned.__name__ = Planned.__qualname__ = config_class.__name__  # error messages name the user's classes
    return Planned


def classes_on_processes(classes: tuple, num_processes: int) -> tuple:
    """The entry point's config classes, with the training config built as on `num_processes` processes."""
    return tuple(
        _as_on_processes(c, num_processes) if issubclass(c, transformers.TrainingArguments) else c for c in classes
    )


def _pop_check_options(argv: list[str]) -> tuple[list[str], int | None, str | None]:
    """Splits the check's own options (--check, --num_processes N, --task T) from the recipe's."""
    options = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    options.add_argument("--check", action="store_true")
    options.add_argument("--num_processes", "--num-processes", type=int)
    options.add_argument("--task", choices=sorted(TASK_CLASSES))
    known, rest = options.parse_known_args(argv)
    if known.num_processes is not None and known.num_processes < 1:
        raise ValueError(f"--num_processes must be at least 1, got {known.num_processes}.")
    return rest, known.num_processes, known.task


def recipe_process_count(config_path: str | None) -> int | None:
    """The training processes a recipe states: its `num_processes` key (old open-r1 recipes) or header line."""
    if config_path is None or not Path(config_path).is_file():
        return None
    raw = read_recipe(config_path)  # a YAML error names the file and line
    text = Path(config_path).read_text()
    if isinstance(raw, dict) and isinstance(raw.get("num_processes"), int):
        return raw["num_processes"]
    match = re.search(r"^# Training processes: (\d+)\s*$", text, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


# Options only GRPO has: a recipe that sets one is a GRPO recipe, wherever it is kept.
_GRPO_ONLY = ("reward_funcs", "reward_weights", "num_generations", "max_completion_length", "use_vllm")


def task_of_recipe(config_path: str | None) -> str | None:
    """The entry point of a recipe: its folder's name (<model>/sft/, <model>/grpo/), else grpo for a recipe that sets
    an option only GRPO has (reward_funcs, num_generations, ...)."""
    if not config_path:
        return None
    parent = Path(config_path).parent.name
    if parent in TASK_CLASSES:
        return parent
    if not Path(config_path).is_file():
        return None
    return "grpo" if any(key in read_recipe(config_path) for key in _GRPO_ONLY) else None


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _collected_warnings() -> Iterator[list[str]]:
    """Every warning of the parse, from open-r1's, trl's and transformers' loggers and from `warnings.warn`."""
    collector = _Collector()
    loggers = [logging.getLogger(name) for name in ("open_r1", "trl", "transformers", "accelerate")]
    saved = [(lg.handlers, lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.handlers, lg.propagate = [collector], False
        if lg.level == logging.NOTSET or lg.level > logging.WARNING:
            lg.setLevel(logging.WARNING)
    messages: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
    finally:
        for lg, (handlers, propagate, level) in zip(loggers, saved):
            lg.handlers, lg.propagate = handlers, propagate
            lg.setLevel(level)
        messages += collector.messages + [str(w.message) for w in caught]


def _check_reward_names(script_args: GRPOScriptArguments) -> None:
    from open_r1.rewards import check_reward_names

    check_reward_names(script_args.reward_funcs)


def _shown(name: str, value: Any) -> str:
    if name in _SECRETS:
        return "<set>"
    if isinstance(value, enum.Enum):
        value = value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    text = repr(value) if isinstance(value, str) and ("\n" in value or not value) else str(value)
    return text if len(text) <= _LONG else f"{text[:_LONG]}... ({len(text)} characters)"


def _differing_options(parsed: tuple, baseline: tuple) -> list[tuple[str, Any]]:
    """Options whose resolved value differs from the one a run without any option resolves to.

    Comparing resolved values with resolved values (rather than with the declared defaults) keeps out what the
    configs fill in by themselves (accelerator_config, debug, ...), and keeps what the recipe changes indirectly
    (trl's generation_batch_size follows the batch size).
    """
    rows = []
    for config, default_config in zip(parsed, baseline):
        requested = getattr(config, "requested_precision", {})
        for field in dataclasses.fields(config):
            if not field.init or field.name.startswith("_"):
                continue
            value = requested.get(field.name, getattr(config, field.name))
            default = getattr(default_config, "requested_precision", {}).get(
                field.name, getattr(default_config, field.name)
            )
            if value != default:
                rows.append((field.name, value))
    return rows


def _batch_lines(training_args: Any, num_processes: int) -> list[str]:
    per_device, accumulation = training_args.per_device_train_batch_size, training_args.gradient_accumulation_steps
    per_process = per_device * accumulation
    total = per_process * num_processes
    product = f"{per_device} per device x {accumulation} accumulation steps x {num_processes} processes"
    num_generations = getattr(training_args, "num_generations", None)
    if num_generations is None:  # SFT
        lines = [f"per optimizer step: {product} = {total} sequences ({per_process} per process)"]
        if training_args.packing and training_args.max_length:
            lines.append(f"packed: up to {total * training_args.max_length} tokens per optimizer step")
        return lines
    prompts = total / num_generations
    shown_prompts = f"{prompts:g}" if prompts == int(prompts) else f"{prompts:.2f} (groups span optimizer steps)"
    split = (
        f"{per_process // num_generations} prompts per process"
        if per_process % num_generations == 0
        else f"{per_process / num_generations:.2f} prompts per process (trl gathers each group's rewards across "
        "processes)"
    )
    generation = training_args.generation_batch_size
    lines = [
        f"per optimizer step: {product} = {total} completions ({per_process} per process) "
        f"= {shown_prompts} prompts x {num_generations} generations; {split}",
        f"per generation round: {generation} completions = {generation // num_generations} prompts, generated every "
        f"{training_args.steps_per_generation} micro-batches and trained on {training_args.num_iterations} time(s)",
    ]
    if (
        training_args.do_eval
        and str(getattr(training_args.eval_strategy, "value", training_args.eval_strategy)) != "no"
    ):
        eval_total = training_args.per_device_eval_batch_size * num_processes
        eval_generations = getattr(training_args, "num_generations_eval", None) or num_generations
        lines.append(
            f"per eval batch: {training_args.per_device_eval_batch_size} per device x {num_processes} processes = "
            f"{eval_total} completions = {eval_total // eval_generations} prompts x {eval_generations} generations"
        )
    return lines


def _valid_process_counts(classes: tuple, args: list[str], limit: int) -> list[int]:
    """The process counts, up to `limit`, at which the recipe parses: what to ask the scheduler for instead."""
    valid = []
    for count in range(1, limit + 1):
        planned = classes_on_processes(classes, count)
        with _collected_warnings():
            try:
                parsed = OpenR1Parser(planned).parse_args_and_config(list(args))
                if isinstance(parsed[0], GRPOScriptArguments):
                    _check_reward_names(parsed[0])
                    check_reward_weights(parsed[0], parsed[1])
            except (ValueError, TypeError, FileNotFoundError, SystemExit):
                continue
        valid.append(count)
    return valid


def check(classes: tuple, argv: list[str], out: TextIO | None = None) -> int:
    """Checks the recipe and options of `argv` for the entry point of `classes`; prints a report, returns 0 or 1."""
    out = out or sys.stdout
    started = time.perf_counter()
    try:
        args, num_processes, _ = _pop_check_options(argv)
    except ValueError as error:
        print(f"Recipe check: FAILED: {error}", file=out)
        return 1
    config_path = _config_path(args)
    source = config_path or "the command line"
    try:
        stated = recipe_process_count(config_path)
    except ValueError as error:  # not YAML: nothing more can be checked
        print(f"Recipe check of {source}: FAILED: {error}", file=out)
        return 1
    if num_processes is None:
        num_processes = stated
    if num_processes is None:
        print(
            f"Recipe check of {source}: FAILED: no process count. Pass --num_processes N (the GPUs that train), or "
            "state it in the recipe's header as `# Training processes: N`.",
            file=out,
        )
        return 1

    planned = classes_on_processes(classes, num_processes)
    failure, parsed = None, None
    with _collected_warnings() as messages:
        try:
            parsed = OpenR1Parser(planned).parse_args_and_config(args)
            # What a run with no options at all resolves to, to show only what the recipe changes.
            baseline = OpenR1Parser(planned).parse_args_and_config(["--dataset_name", "-"])
            if isinstance(parsed[0], GRPOScriptArguments):
                _check_reward_names(parsed[0])
                check_reward_weights(parsed[0], parsed[1])
        except (ValueError, TypeError, FileNotFoundError) as error:
            failure = str(error)
        except SystemExit:  # argparse already printed why (e.g. a value outside an option's choices)
            failure = "the command line is invalid (argparse's message is above)"

    processes = f"{num_processes} process{'es' if num_processes > 1 else ''}"
    entry = next((f"src/open_r1/{task}.py" for task, known in TASK_CLASSES.items() if known == tuple(classes)), "")
    print(f"Recipe check of {source} for {entry or 'its entry point'} on {processes}", file=out)
    no_gpu = [m for m in messages if m.startswith("No GPU found")]
    if stated is not None and stated != num_processes:
        messages.append(f"The recipe states {stated} training processes; it was checked for {num_processes}.")
    recipe_warnings = list(dict.fromkeys(m for m in messages if m not in no_gpu))
    if parsed is not None:
        print("\nOptions that differ from the defaults:", file=out)
        for name, value in _differing_options(parsed, baseline):
            print(f"  {name}: {_shown(name, value)}", file=out)
        print(f"\nBatch on {processes}:", file=out)
        for line in _batch_lines(parsed[1], num_processes):
            print(f"  {line}", file=out)
    if no_gpu:
        print(
            "\n(No GPU on this machine: precision and Liger options were checked as the recipe states them; "
            "a GPU-only problem, e.g. bf16 on a pre-Ampere GPU, shows only on the cluster.)",
            file=out,
        )
    print(f"\nWarnings ({len(recipe_warnings)}):" if recipe_warnings else "\nWarnings: none", file=out)
    for message in recipe_warnings:
        print(f"  - {message}", file=out)
    seconds = time.perf_counter() - started
    if failure is not None:
        print(f"\nFAILED on {processes}: {failure}", file=out)
        if parsed is None:
            valid = _valid_process_counts(classes, args, limit=max(16, 2 * num_processes))
            if valid:
                print(
                    f"The recipe is valid on {', '.join(map(str, valid))} processes (of 1-{max(16, 2 * num_processes)}).",
                    file=out,
                )
        return 1
    print(f"\nOK: valid on {processes} (checked in {seconds:.1f} s, nothing loaded).", file=out)
    return 0


def _pop_sample(argv: list[str]) -> tuple[list[str], int | None]:
    options = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    options.add_argument("--sample", type=int)
    known, rest = options.parse_known_args(argv)
    return rest, known.sample


def reward_preflight_of_recipe(argv: list[str], sample: int, task: str | None) -> int:
    """`--sample N`: the recipe parsed as on its training processes, then its rewards scored on N rows of its data
    (reward_preflight.py)."""
    source = _config_path(argv) or "the command line"
    if task not in (None, "grpo"):
        print(f"Reward preflight of {source}: FAILED: --sample scores a GRPO recipe's rewards; this is a {task} one.")
        return 1
    try:
        args, num_processes, _ = _pop_check_options(argv)
        num_processes = num_processes or recipe_process_count(_config_path(args)) or 1
    except ValueError as error:
        print(f"Reward preflight of {source}: FAILED: {error}")
        return 1
    planned = classes_on_processes(TASK_CLASSES["grpo"], num_processes)
    with _collected_warnings():  # the options' warnings are the plain check's to show
        try:
            parsed = OpenR1Parser(planned).parse_args_and_config(args)
        except (ValueError, TypeError, FileNotFoundError) as error:
            print(f"Reward preflight of {source}: FAILED: {error}")
            return 1
        except SystemExit:
            print(f"Reward preflight of {source}: FAILED: the command line is invalid (argparse's message is above)")
            return 1
    from open_r1.reward_preflight import preflight

    return preflight(*parsed, sample=sample, source=source)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _, _, task = _pop_check_options(argv)
    except ValueError as error:
        print(f"Recipe check: FAILED: {error}", file=sys.stdout)
        return 1
    unreadable = _unreadable_recipe(argv)
    if unreadable:
        print(f"Recipe check: FAILED: {unreadable}", file=sys.stdout)
        return 1
    task = task or task_of_recipe(_config_path(argv))
    argv, sample = _pop_sample(argv)
    if sample is not None:
        return reward_preflight_of_recipe(argv, sample, task)
    if task is None:
        print(
            "Recipe check: FAILED: say which entry point reads the recipe with --task sft or --task grpo (it is "
            "taken from the recipe's folder, <model>/sft/ or <model>/grpo/, and a recipe that sets reward_funcs or "
            "num_generations is a GRPO one).",
            file=sys.stdout,
        )
        return 1
    return check(TASK_CLASSES[task], argv)


if __name__ == "__main__":
    sys.exit(main())
