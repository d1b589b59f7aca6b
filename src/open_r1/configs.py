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
"""Every option of the project, declared once, each with a help string.

The classes extend trl's so a recipe can set any trl/transformers option next to open-r1's own. Validation that
needs no model (dataset mixtures, precision on a CPU-only machine) runs in `__post_init__`, so a bad recipe fails
while parsing, before anything heavy is loaded. Reward names are checked where the registry lives, by
`rewards.get_reward_funcs`, which the entry points call before they load a model: configs sit below rewards and code
execution in the import graph and import neither.
"""

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import trl
from transformers.utils import is_torch_bf16_gpu_available, is_torch_xla_available


logger = logging.getLogger(__name__)

_MIXTURE_EXAMPLE = """\
dataset_mixture:
  datasets:
    - id: open-r1/Mixture-of-Thoughts    # hub id, or a local .jsonl/.json/.parquet/.csv file or folder
      config: math
      split: train
      columns: [messages]
      weight: 0.5                        # fraction of this dataset's rows to keep, in (0, 1]
  seed: 42
  test_split_size: 0.1"""


@dataclass
class DatasetConfig:
    """One dataset of a mixture."""

    id: str
    config: str | None = None
    split: str = "train"
    columns: list[str] | None = None
    weight: float = 1.0


@dataclass
class DatasetMixtureConfig:
    """A weighted mixture of datasets, shuffled with `seed`, optionally split into train/test."""

    datasets: list[DatasetConfig]
    seed: int = 0
    test_split_size: float | None = None


def _mixture_error(problem: str) -> ValueError:
    return ValueError(f"Invalid `dataset_mixture`: {problem}. Expected a mapping like:\n{_MIXTURE_EXAMPLE}")


def parse_dataset_mixture(raw: dict[str, Any] | str) -> DatasetMixtureConfig:
    """Validates a mixture written in a recipe (or as JSON on the command line) and builds its config."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise _mixture_error(f"the value is not valid JSON ({error})") from error
    if not isinstance(raw, dict) or "datasets" not in raw:
        raise _mixture_error("it needs a `datasets` key")
    unknown = set(raw) - {"datasets", "seed", "test_split_size"}
    if unknown:
        raise _mixture_error(f"unknown keys {sorted(unknown)}")
    entries = raw["datasets"]
    if not isinstance(entries, list) or not entries:
        raise _mixture_error("`datasets` must be a non-empty list of datasets")

    datasets = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise _mixture_error(f"dataset #{index} has no `id` (a hub id or a local path)")
        unknown = set(entry) - {"id", "config", "split", "columns", "weight"}
        if unknown:
            raise _mixture_error(f"dataset #{index} ({entry['id']}) has unknown keys {sorted(unknown)}")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight <= 1:
            raise _mixture_error(
                f"dataset #{index} ({entry['id']}) has weight {weight!r}; a weight is the fraction of the dataset's "
                "rows to keep and must lie in (0, 1]"
            )
        columns = entry.get("columns")
        if columns is not None and (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)):
            raise _mixture_error(f"dataset #{index} ({entry['id']}) has columns {columns!r}; expected a list of names")
        datasets.append(
            DatasetConfig(
                id=entry["id"],
                config=entry.get("config"),
                split=entry.get("split", "train"),
                columns=columns,
                weight=float(weight),
            )
        )

    # Concatenating datasets needs identical columns; catch a mismatch here rather than after minutes of loading.
    column_sets = {tuple(sorted(d.columns)) for d in datasets if d.columns is not None}
    if len(column_sets) > 1:
        listing = ", ".join(f"{d.id}: {d.columns}" for d in datasets)
        raise _mixture_error(f"all datasets must select the same columns to be concatenated, got {listing}")

    test_split_size = raw.get("test_split_size")
    if test_split_size is not None and not (
        0 < test_split_size < 1 or (isinstance(test_split_size, int) and test_split_size >= 1)
    ):
        raise _mixture_error(
            f"test_split_size is {test_split_size!r}; use a fraction in (0, 1) or a number of rows >= 1"
        )
    return DatasetMixtureConfig(datasets=datasets, seed=int(raw.get("seed", 0)), test_split_size=test_split_size)


@dataclass
class ScriptArguments(trl.ScriptArguments):
    """Dataset options shared by every entry point: one dataset (`dataset_name`) or a weighted mixture."""

    dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub id, or local file/folder (json, jsonl, parquet, csv), of the training dataset."},
    )
    dataset_mixture: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "A mixture of datasets: {'datasets': [{'id', 'config', 'split', 'columns', 'weight'}], 'seed', "
            "'test_split_size'}. `weight` is the fraction of each dataset's rows to keep. Overrides dataset_name."
        },
    )

    def __post_init__(self):
        if self.dataset_name is None and self.dataset_mixture is None:
            raise ValueError(
                "No training data: set `dataset_name` (a hub id or a local file/folder) or `dataset_mixture` in the "
                "recipe or on the command line."
            )
        if self.dataset_mixture is not None:
            self.dataset_mixture = parse_dataset_mixture(self.dataset_mixture)


REWARD_NAMES_HELP = (
    "Reward functions, by registry name: accuracy, format, reasoning_steps, cosine, repetition_penalty, length, "
    "code, binary_code, ioi_code, cf_code, code_format, tag_count, soft_overlong_punishment; or your own function, "
    "as `module:function` or `path/to/file.py:function` (README: Writing your own reward)."
)


@dataclass
class GRPOScriptArguments(ScriptArguments):
    """Dataset and reward options of GRPO (open-r1's names and defaults)."""

    reward_funcs: list[str] = field(
        default_factory=lambda: ["accuracy", "format", "tag_count"], metadata={"help": REWARD_NAMES_HELP}
    )
    cosine_min_value_wrong: float = field(default=0.0, metadata={"help": "Cosine reward: wrong answers, longest."})
    cosine_max_value_wrong: float = field(default=-0.5, metadata={"help": "Cosine reward: wrong answers, shortest."})
    cosine_min_value_correct: float = field(default=0.5, metadata={"help": "Cosine reward: right answers, longest."})
    cosine_max_value_correct: float = field(default=1.0, metadata={"help": "Cosine reward: right answers, shortest."})
    cosine_max_len: int = field(default=1000, metadata={"help": "Cosine reward: length (chars) of the full scale."})
    repetition_n_grams: int = field(default=3, metadata={"help": "Repetition penalty: n-gram size."})
    repetition_max_penalty: float = field(
        default=-1.0, metadata={"help": "Repetition penalty: penalty when every n-gram repeats (<= 0)."}
    )
    repetition_language: Literal["en", "zh"] = field(
        default="en", metadata={"help": "Repetition penalty: 'en' splits on spaces, 'zh' segments with jieba."}
    )
    format_think_prefilled: bool = field(
        default=False,
        metadata={
            "help": "Format rewards: the chat template already opens `<think>` in the prompt (DeepSeek-R1-Distill "
            "templates), so completions start inside the reasoning block."
        },
    )
    code_language: str = field(
        default="python",
        metadata={
            "help": "Language of the code rewards.",
            "choices": ["python", "javascript", "r", "java", "bash", "cpp"],
        },
    )
    code_eval_test_batch_size: int = field(
        default=1,
        metadata={"help": "IOI: test cases run in parallel per batch; later batches are skipped once one fails."},
    )
    code_eval_scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = field(
        default="weighted_sum", metadata={"help": "Codeforces scoring: pass_fail, partial or weighted_sum."}
    )
    parallel_code_exec_per_proc: int = field(
        default=2, metadata={"help": "Code rewards: programs executed in parallel by each training process."}
    )
    dataset_prompt_column: str = field(
        default="prompt", metadata={"help": "Column holding the prompt (the user turn) of each training row."}
    )
    max_prompt_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Drop training rows whose chat-formatted prompt is longer than this many tokens. Replaces trl "
            "0.18's max_prompt_length (trl 1.x removed it); a cut-off problem is a wrong problem, so rows are "
            "dropped, not truncated."
        },
    )
    math_verify_timeout: float | None = field(
        default=None,
        metadata={
            "help": "Math rewards (accuracy, cosine, length): hard limit in seconds on parsing one gold or verifying "
            "one answer (default 10). A worker past it is killed and replaced; the answer scores 0, the gold's rows "
            "score None."
        },
    )
    math_verify_workers: int | None = field(
        default=None,
        metadata={
            "help": "Math rewards: verification worker processes per training process (default: min(4, CPU cores))."
        },
    )
    e2b_router_url: str | None = field(
        default=None, metadata={"help": "URL of an E2B router (scripts/e2b_router.py)."}
    )
    morph_router_url: str | None = field(
        default=None, metadata={"help": "URL of a MorphCloud router (scripts/morph_router.py)."}
    )
    code_provider: Literal["e2b", "local", "morph"] = field(
        default="e2b", metadata={"help": "Where the code rewards run programs: e2b, morph, or local (no key needed)."}
    )
    ioi_provider: Literal["piston", "morph", "local"] = field(
        default="piston", metadata={"help": "Where the IOI reward runs programs: piston, morph or local."}
    )
    cf_provider: Literal["piston", "local"] = field(
        default="piston",
        metadata={"help": "Where the Codeforces reward runs programs: piston (PISTON_ENDPOINTS) or local."},
    )
    local_router_url: str | None = field(
        default=None,
        metadata={
            "help": "URL (host:port) of a router serving the local sandbox (scripts/e2b_router.py --provider "
            "local), so CPU nodes run the code of GPU nodes."
        },
    )
    enforce_same_language: bool = field(
        default=False,
        metadata={"help": "Code rewards: raise an error when one batch mixes programming languages."},
    )
    code_timeout_s: float = field(
        default=5.0, metadata={"help": "Local code sandbox: wall-clock and CPU seconds per test case (open-r1's 5 s)."}
    )
    code_memory_mb: int = field(default=1024, metadata={"help": "Local code sandbox: memory per process, MiB."})
    code_max_processes: int = field(
        default=64, metadata={"help": "Local code sandbox: processes and threads per program (fork floods stop)."}
    )
    code_max_output_bytes: int = field(
        default=1048576,
        metadata={"help": "Local code sandbox: captured stdout/stderr per test case; a program printing more fails."},
    )
    max_completion_len: int = field(
        default=16384, metadata={"help": "Soft overlong punishment: completion length (tokens) of the full penalty."}
    )
    soft_punish_cache: int = field(
        default=4096, metadata={"help": "Soft overlong punishment: tokens before max_completion_len where it starts."}
    )

    def __post_init__(self):
        super().__post_init__()
        # Reward names are checked where the registry lives: get_reward_funcs, which the entry points call before
        # they load a model (configs sit below rewards and never import them).
        if self.max_prompt_tokens is not None and self.max_prompt_tokens <= 0:
            raise ValueError(f"max_prompt_tokens must be a positive number of tokens, got {self.max_prompt_tokens}.")


def _adapt_sharding_to_cpu() -> list[str]:
    """What a CPU-only machine changes in the sharding the accelerate config asked for (read from the launcher's env).

    DeepSpeed picks its accelerator once, when first imported (after this runs, in transformers' __post_init__);
    without a GPU its auto-detection falls back to the CPU with a warning that suggests something is wrong, so the
    CPU accelerator is named explicitly. ZeRO then communicates over gloo and builds its shared-memory op on first use.
    """
    adapted = []
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true":
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        stage = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE", "?")
        adapted.append(f"DeepSpeed ZeRO-{stage} on its {os.environ['DS_ACCELERATOR']} accelerator")
    if _fsdp_requested() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        adapted.append(f"FSDP{os.environ.get('FSDP_VERSION', '1')} over gloo")
    return adapted


def _fsdp_requested() -> bool:
    return os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true"


def _let_accelerate_apply_fsdp_on_cpu() -> None:
    """Makes the Accelerator the Trainer builds shard with FSDP on CPU processes, as it does on GPUs.

    accelerate 1.15 keeps the FSDP plugin only for GPU-like process groups (AcceleratorState's MULTI_GPU/NPU/XPU/...
    branch); for a CPU group (MULTI_CPU, what `use_cpu` forms) it drops the plugin without a word, and fsdp.yaml
    trains as plain DDP: each rank holds the whole model, which is not what a user who chose FSDP for memory tested.
    FSDP2 (`fully_shard`) itself runs on CPU tensors over gloo. So the CPU group, already formed over gloo by
    transformers' __post_init__ (this runs after it), is labelled multi-device: the Accelerator then promotes it to
    FSDP and shards with the plugin from the accelerate config, on the CPU device and the gloo group it already has.
    """
    from accelerate.state import PartialState
    from accelerate.utils import DistributedType

    if PartialState._shared_state.get("distributed_type") == DistributedType.MULTI_CPU:
        PartialState._shared_state["distributed_type"] = DistributedType.MULTI_GPU


@dataclass
class _OpenR1TrainingArguments:
    """open-r1's options on top of trl's trainer configs (shared by SFTConfig and GRPOConfig)."""

    benchmarks: list[str] = field(
        default_factory=list, metadata={"help": "Benchmarks launched on Slurm after each pushed checkpoint."}
    )
    callbacks: list[str] = field(
        default_factory=list, metadata={"help": "Trainer callbacks by name, e.g. push_to_hub_revision."}
    )
    chat_template: str | None = field(
        default=None, metadata={"help": "Jinja chat template that replaces the tokenizer's own."}
    )
    system_prompt: str | None = field(
        default=None, metadata={"help": "System message prepended to every conversation (GRPO prompts)."}
    )
    hub_model_revision: str = field(default="main", metadata={"help": "Hub branch the model is pushed to."})
    overwrite_hub_revision: bool = field(default=False, metadata={"help": "Overwrite the hub revision if it exists."})
    push_to_hub_revision: bool = field(default=False, metadata={"help": "Push each checkpoint to its own revision."})
    resume_other_run: bool = field(
        default=False,
        metadata={
            "help": "Resume from output_dir's newest checkpoint even though a run defined differently (another "
            "model, dataset, rewards or training option) saved it. Without it such a launch stops before loading "
            "anything and names the options that differ."
        },
    )
    start_over: bool = field(
        default=False,
        metadata={
            "help": "Train from step 0 although output_dir holds checkpoints or a finished run: its checkpoint-* "
            "folders, trainer_state.json and run record are deleted first."
        },
    )
    wandb_entity: str | None = field(default=None, metadata={"help": "W&B entity the run is logged to."})
    wandb_project: str | None = field(default=None, metadata={"help": "W&B project the run is logged to."})
    wandb_run_group: str | None = field(default=None, metadata={"help": "W&B group, to compare runs side by side."})

    def _check_benchmarks(self) -> None:
        """Unknown benchmark names fail while parsing, not hours later when the first checkpoint is pushed."""
        if self.benchmarks:
            from .utils.evaluation import resolve_benchmarks  # light: does not import lighteval

            self.benchmarks = resolve_benchmarks(self.benchmarks)

    def _fit_precision_to_hardware(self) -> None:
        """Makes a recipe and accelerate config written for GPUs run on a CPU-only machine, with one warning line.

        Runs before trl's and transformers' __post_init__: trl would default bf16 to True and fail without a GPU, and
        transformers reads the launcher's mixed precision from the environment there and writes it into the DeepSpeed
        config it builds, so whatever is changed here takes effect for the whole run.
        """
        import torch

        if is_torch_bf16_gpu_available() or is_torch_xla_available() or torch.cuda.is_available():
            if self.bf16 is None:
                self.bf16 = not self.fp16
            return  # (a GPU without bf16, pre-Ampere, is left for transformers to explain)

        adapted = []
        # `accelerate launch --num_processes N` sets WORLD_SIZE; without `use_cpu` transformers would not join the
        # process group on a CPU, and each process would train alone as "rank 0 of 1" into the same output_dir.
        if not self.use_cpu and int(os.environ.get("WORLD_SIZE", "1")) > 1:
            adapted.append(f"use_cpu on (so the {os.environ['WORLD_SIZE']} processes train together)")
            self.use_cpu = True
        # The recipe's bf16/fp16 and the accelerate config's `mixed_precision: bf16` (which `accelerate launch` exports
        # as ACCELERATE_MIXED_PRECISION) both turn into autocast, and under DeepSpeed into the `bf16.enabled` of its
        # config, which transformers then finds at odds with `bf16: false` and refuses. A CPU trains in float32.
        launcher_precision = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
        if self.bf16 or self.fp16 or self.bf16_full_eval or self.fp16_full_eval or launcher_precision != "no":
            asked = "accelerate config" if launcher_precision != "no" else "recipe"
            precision = launcher_precision if launcher_precision != "no" else ("fp16" if self.fp16 else "bf16")
            adapted.append(f"{precision} mixed precision of the {asked} off (float32)")
        if launcher_precision != "no":
            os.environ["ACCELERATE_MIXED_PRECISION"] = "no"
        self.bf16 = self.fp16 = self.bf16_full_eval = self.fp16_full_eval = False
        if self.tf32:  # transformers raises on tf32 without an Ampere GPU; GPU recipes and command lines set it
            adapted.append("tf32 off (tf32 matmuls need an Ampere GPU)")
            self.tf32 = None
        if self.use_liger_kernel:
            adapted.append("use_liger_kernel off (liger kernels need CUDA)")
            self.use_liger_kernel = False
        adapted.extend(_adapt_sharding_to_cpu())
        if getattr(self, "use_vllm", False) and getattr(self, "vllm_mode", None) == "colocate":
            from .utils.vllm_runtime import adapt_colocated_vllm_to_cpu, describe_cpu_settings

            adapt_colocated_vllm_to_cpu()  # the engine trl builds in this process gets the CPU settings
            adapted.append(describe_cpu_settings())
        if adapted and os.environ.get("RANK", "0") == "0":  # the same on every rank: said once
            logger.warning("No GPU found, adapted for the CPU: %s.", "; ".join(adapted))


def _device_without_cpu_index(device):
    """The process's device, with the index a multi-process CPU run gets dropped: `cpu:1` becomes `cpu`.

    accelerate gives each process of a multi-process CPU run the device `cpu:<local rank % 1>`, i.e. `cpu:0`, and
    transformers then resumes a checkpoint with `torch.load(optimizer.pt, map_location=args.device)`; torch refuses
    to restore storages at `cpu:0`, so every rank of a resumed (preempted, requeued) multi-process CPU run died. A CPU
    has one memory: the plain `cpu` device is the same place and every loader accepts it. GPU devices keep their index.
    """
    if device.type == "cpu" and device.index is not None:
        import torch

        return torch.device("cpu")
    return device


@dataclass
class SFTConfig(trl.SFTConfig, _OpenR1TrainingArguments):
    """trl's SFTConfig plus open-r1's hub, benchmark and logging options."""

    def __post_init__(self):
        self._fit_precision_to_hardware()
        self._check_benchmarks()
        super().__post_init__()
        if self.use_cpu and _fsdp_requested():
            _let_accelerate_apply_fsdp_on_cpu()

    @cached_property
    def _setup_devices(self):  # behind `args.device` (see _device_without_cpu_index)
        return _device_without_cpu_index(super()._setup_devices)


@dataclass
class GRPOConfig(trl.GRPOConfig, _OpenR1TrainingArguments):
    """trl's GRPOConfig plus open-r1's hub, benchmark and logging options."""

    num_completions_to_print: int = field(
        default=0, metadata={"help": "Completions printed to the console at each logging step."}
    )
    dynamic_sampling: bool = field(
        default=False,
        metadata={
            "help": "DAPO's dynamic sampling (verl's `filter_groups`): train only on groups whose completions' rewards "
            "differ, generating more prompts until the batch is full (open_r1.utils.dynamic_sampling)."
        },
    )
    dynamic_sampling_metric: str | None = field(
        default=None,
        metadata={
            "help": "The reward whose spread decides whether a group is kept: the name of one of `reward_funcs` (DAPO "
            "filters on `accuracy`), or unset for the weighted sum of all rewards, the reward trl normalises."
        },
    )
    dynamic_sampling_max_gen_batches: int = field(
        default=10,
        metadata={
            "help": "Generation batches per step at most, the first included (verl's `max_num_gen_batches`; its "
            "DAPO recipe uses 10). Then the rest of the batch is filled with groups of equal rewards, and a warning "
            "says so."
        },
    )

    def __post_init__(self):
        if self.dynamic_sampling and self.dynamic_sampling_max_gen_batches < 1:
            raise ValueError(
                f"dynamic_sampling_max_gen_batches is {self.dynamic_sampling_max_gen_batches}; it counts generation "
                "batches per step, the first included, so it must be 1 or more (unbounded is not offered: a dataset "
                "every group of which scores alike would never fill a batch)."
            )
        self._fit_precision_to_hardware()
        self._check_benchmarks()
        try:
            super().__post_init__()
        except ValueError as error:
            if "must be divisible by num_generations" not in str(error):
                raise
            raise ValueError(f"{error} {self._num_generations_fix()}") from None
        if self.use_cpu and _fsdp_requested():
            _let_accelerate_apply_fsdp_on_cpu()

    def _num_generations_fix(self) -> str:
        """trl's "generation_batch_size (8) must be divisible by num_generations (3)", with what to change."""
        rounds, processes, wanted = self.generation_batch_size, self.world_size, self.num_generations
        steps = rounds // (self.per_device_train_batch_size * processes)
        divisors = [n for n in range(2, rounds + 1) if rounds % n == 0]
        batch = next(b for b in range(self.per_device_train_batch_size, 10**6) if b * processes * steps % wanted == 0)
        shown = ", ".join(map(str, divisors[:-1])) + (" or " if len(divisors) > 1 else "") + str(divisors[-1])
        return (
            f"({rounds} completions per generation round = per_device_train_batch_size "
            f"{self.per_device_train_batch_size} x {processes} process(es) x steps_per_generation {steps}; each "
            f"prompt's {wanted} completions must fall in one round.) Fix: --num_generations {shown}, or "
            f"--per_device_train_batch_size {batch}."
        )

    @cached_property
    def _setup_devices(self):  # behind `args.device` (see _device_without_cpu_index)
        return _device_without_cpu_index(super()._setup_devices)


def check_reward_weights(script_args: GRPOScriptArguments, training_args: GRPOConfig) -> None:
    """The options that refer to `reward_funcs` by position or name: trl checks the weights too, but only after the
    model is loaded; fail before."""
    weights = training_args.reward_weights
    if weights is not None and len(weights) != len(script_args.reward_funcs):
        raise ValueError(
            f"`reward_weights` has {len(weights)} values {weights} but `reward_funcs` has "
            f"{len(script_args.reward_funcs)} rewards {script_args.reward_funcs}: give one weight per reward."
        )
    metric = training_args.dynamic_sampling_metric
    if training_args.dynamic_sampling and metric is not None and metric not in script_args.reward_funcs:
        raise ValueError(
            f"dynamic_sampling_metric {metric!r} is not one of `reward_funcs` {script_args.reward_funcs}. Fix: name "
            "one of them, or leave it unset to use the weighted sum of all rewards."
        )
