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
"""Which benchmarks exist, and how an evaluation is launched: on this machine, or as Slurm jobs after training.

    python -m open_r1.utils.evaluation --model data/tiny/model --task math_500 --backend accelerate   (make evaluate)
    run_benchmark_jobs(training_args, model_args)    (the training callback, after each pushed checkpoint)

The benchmark definitions themselves (data, prompts, metrics) are lighteval tasks in src/open_r1/evaluate.py; this
module knows only their names, so importing it costs nothing (no lighteval) and a recipe's `benchmarks` can be
checked before training starts.
"""

import argparse
import base64
import difflib
import hashlib
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from open_r1.utils.generation import served_models
from open_r1.utils.inputs import check_local_model


logger = logging.getLogger(__name__)
# Benchmark name (as recipes, `make evaluate TASK=` and Slurm jobs spell it) -> lighteval task spec `<task>|<shots>`.
# The tasks are open-r1's, defined in src/open_r1/evaluate.py under the `open_r1:` prefix because lighteval 0.13
# refuses custom tasks that reuse the names of its built-in ones.
LIGHTEVAL_TASKS = {
    "math_500": "open_r1:math_500|0",
    "aime24": "open_r1:aime24|0",
    "aime25": "open_r1:aime25|0",
    "gpqa": "open_r1:gpqa:diamond|0",
    "lcb": "open_r1:lcb:codegeneration|0",
}
# Benchmark names of open-r1's recipes (2025) that are defined a little differently here: name -> (name here, what
# differs). They are accepted with a warning so old recipes load; the scores are not comparable one to one.
LEGACY_BENCHMARKS = {
    "lcb_v4": (
        "lcb",
        "open-r1's lcb_v4 was LiveCodeBench release v4 (lighteval's lcb:codegeneration_v4); lcb here is the "
        "v4_v5 window (problems from 2024-08 to 2025-01), the one open-r1 and lighteval report",
    ),
    "aime25_I": ("aime25", "open-r1's aime25_I was AIME 2025 part I only (15 problems); aime25 holds parts I and II"),
}
CUSTOM_TASKS_FILE = "src/open_r1/evaluate.py"


@dataclass(frozen=True)
class BenchmarkData:
    """Where a benchmark's rows come from: its hub dataset, or a file of that name in DATA_DIR (the hub's columns)."""

    hub_id: str
    local_file: str
    gated: bool = False


BENCHMARK_DATA = {
    "math_500": BenchmarkData("HuggingFaceH4/MATH-500", "math500.jsonl"),
    "aime24": BenchmarkData("HuggingFaceH4/aime_2024", "aime24.jsonl"),
    "aime25": BenchmarkData("yentinglin/aime_2025", "aime25.jsonl"),
    "gpqa": BenchmarkData("Idavidrein/gpqa", "gpqa_diamond.csv", gated=True),  # the hub repo's own file
    "lcb": BenchmarkData("lighteval/code_generation_lite", "lcb_codegeneration.jsonl"),
}
HUB_PROBE_TIMEOUT = 20  # seconds; a network that drops packets would otherwise hang the start
# Environment variables read by src/open_r1/evaluate.py, its documented interface (see its docstring).
DATA_DIR_ENV = "OPEN_R1_EVAL_DATA_DIR"
NUM_SAMPLES_ENV = "OPEN_R1_EVAL_NUM_SAMPLES"
MAX_NEW_TOKENS_ENV = "OPEN_R1_EVAL_MAX_NEW_TOKENS"

# Sampling as DeepSeek-R1 reports its scores and open-r1 reproduces them.
TEMPERATURE = 0.6
TOP_P = 0.95
VLLM_MAX_MODEL_LENGTH = 32768
VLLM_GPU_MEMORY_UTILIZATION = 0.8
# The default backend: lighteval's litellm client (open_r1.utils.served_model) against `vllm serve`.
SERVER_PROVIDER = "hosted_vllm"  # litellm's name for vLLM's OpenAI-compatible server
# Problems in flight per model replica: each request carries its n samples, so 64 keeps a replica's batch full
# (vLLM runs up to 256 sequences at once) even for MATH-500's n=4, and queues the rest in the server.
SERVER_REQUESTS_PER_REPLICA = 64
SERVER_REQUEST_TIMEOUT = 24 * 3600  # seconds; a request queued behind others for 64 x 32k tokens may take hours
SERVER_STARTUP_TIMEOUT = 3600  # seconds; a large model downloads and loads first

# Variables of the training job that must not leak into a job it submits: sbatch exports the caller's whole
# environment, and a benchmark job that inherits SLURM_*, torch.distributed or accelerate/DeepSpeed settings from
# a training job starts with the wrong GPUs, ranks or launcher.
_INHERITED_JOB_VARIABLES = re.compile(
    r"^(SLURM_|SBATCH_|SRUN_|ACCELERATE_|DEEPSPEED_|TORCHELASTIC_|NCCL_)|"
    r"^(RANK|LOCAL_RANK|WORLD_SIZE|LOCAL_WORLD_SIZE|GROUP_RANK|MASTER_ADDR|MASTER_PORT|CUDA_VISIBLE_DEVICES)$"
)


def get_lighteval_tasks() -> list[str]:
    return list(LIGHTEVAL_TASKS)


SUPPORTED_BENCHMARKS = get_lighteval_tasks()


def resolve_benchmarks(benchmarks: list[str] | str) -> list[str]:
    """Benchmark names, with "all" expanded; fails on an unknown name, listing the known ones."""
    if isinstance(benchmarks, str):
        benchmarks = [name.strip() for name in benchmarks.split(",") if name.strip()]
    benchmarks = list(benchmarks)
    if not benchmarks:
        raise ValueError(f"No benchmark given. Known benchmarks: {', '.join(SUPPORTED_BENCHMARKS)} (or all).")
    if "all" in benchmarks:
        return get_lighteval_tasks()
    for index, name in enumerate(benchmarks):
        if name in LEGACY_BENCHMARKS:
            current, why = LEGACY_BENCHMARKS[name]
            logger.warning("Benchmark `%s` is a legacy name, read as `%s` (%s).", name, current, why)
            benchmarks[index] = current
    unknown = [name for name in benchmarks if name not in LIGHTEVAL_TASKS]
    if unknown:
        known = [*SUPPORTED_BENCHMARKS, *LEGACY_BENCHMARKS]
        close = {name: difflib.get_close_matches(name, known, n=1) for name in unknown}
        hints = "".join(f" `{name}`: did you mean `{match[0]}`?" for name, match in close.items() if match)
        raise ValueError(
            f"Unknown benchmark(s) {unknown}.{hints} Known benchmarks: {', '.join(SUPPORTED_BENCHMARKS)}, or all for "
            "every one."
        )
    return list(dict.fromkeys(benchmarks))  # keep the order, drop repeats


# --- Slurm jobs -------------------------------------------------------------------------------------------------


def is_slurm_available() -> bool:
    return shutil.which("sbatch") is not None


def _parameter_count_from_name(model_id: str) -> float | None:
    """Billions of parameters read from a model name such as Qwen2.5-32B-Instruct or DeepSeek-R1-Distill-Llama-70B."""
    sizes = re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)[bB](?![\w])", model_id.replace("-", " ").replace("_", " "))
    return float(sizes[-1]) if sizes else None


def needs_tensor_parallel(model_id: str) -> bool:
    """Models of 30B parameters or more do not fit one GPU with a 32k context: shard them (open-r1's threshold)."""
    billions = _parameter_count_from_name(model_id)
    return billions is not None and billions >= 30


def sbatch_command(
    benchmark: str,
    model_id: str,
    model_revision: str = "main",
    trust_remote_code: bool = False,
    system_prompt: str | None = None,
) -> list[str]:
    """`sbatch slurm/evaluate.slurm TASK_NAME TASKS MODEL_ID MODEL_REVISION TENSOR_PARALLEL TRUST_REMOTE_CODE [PROMPT]`.

    An argument list, never a shell string, so a revision or task spec holding `|` reaches the script unchanged.
    The system prompt goes base64-encoded, so quotes and newlines survive; slurm/evaluate.slurm decodes it.
    """
    (benchmark,) = resolve_benchmarks([benchmark])
    job_name = f"or1_{benchmark}_{model_id.split('/')[-1]}_{model_revision}"
    command = [
        "sbatch",
        f"--job-name={job_name}",
        "slurm/evaluate.slurm",
        benchmark,
        LIGHTEVAL_TASKS[benchmark],
        model_id,
        model_revision,
        str(needs_tensor_parallel(model_id)),
        str(bool(trust_remote_code)),
    ]
    if system_prompt is not None:
        command.append(base64.b64encode(system_prompt.encode()).decode())
    return command


def _job_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not _INHERITED_JOB_VARIABLES.match(key)}


def run_lighteval_job(benchmark: str, training_args, model_args) -> None:
    """Submits one benchmark of the model pushed at `training_args.hub_model_id@hub_model_revision`."""
    command = sbatch_command(
        benchmark,
        model_id=training_args.hub_model_id,
        model_revision=training_args.hub_model_revision,
        trust_remote_code=getattr(model_args, "trust_remote_code", False),
        system_prompt=getattr(training_args, "system_prompt", None),
    )
    print(f"Launching benchmark `{benchmark}`: {shlex.join(command)}")
    # slurmd opens the job's --output file (./logs/evaluate/...) before the script runs: a missing folder would fail
    # the job with no log at all, so it is made here (clones have it; an installed package run elsewhere may not).
    os.makedirs(os.path.join("logs", "evaluate"), exist_ok=True)
    subprocess.run(command, check=True, env=_job_environment())


def run_benchmark_jobs(training_args, model_args) -> None:
    """Submits a Slurm job per benchmark in `training_args.benchmarks` ("all" for every one).

    Every name is checked before the first job is submitted, so a typo never leaves half the benchmarks launched.
    """
    if not training_args.benchmarks:
        return
    if not training_args.hub_model_id:
        raise ValueError("`benchmarks` evaluates the model pushed to the hub: set `hub_model_id` (and push_to_hub).")
    for benchmark in resolve_benchmarks(training_args.benchmarks):
        run_lighteval_job(benchmark, training_args, model_args)


# --- local evaluation (make evaluate) ---------------------------------------------------------------------------


def _model_args(fields: dict[str, object], generation: dict[str, object]) -> str:
    """lighteval's `key=value,...,generation_parameters={k:v,...}` string, from the fields that are set only.

    Built from a dict, so no unset variable can leave an empty `,,` field (open-r1's Makefile sends
    `dtype=bfloat16,,max_model_length=...` when NUM_GPUS is unset, which lighteval rejects). lighteval splits the
    string on commas, so a value holding one cannot be passed this way: fail instead of evaluating something else.
    """
    parts = []
    for key, value in fields.items():
        if value is None or value == "":
            continue
        value = str(value)
        if "," in value or "=" in value:
            raise ValueError(f"{key}={value!r}: lighteval's model arguments cannot hold ',' or '='.")
        parts.append(f"{key}={value}")
    if generation:
        parts.append("generation_parameters={" + ",".join(f"{k}:{v}" for k, v in generation.items()) + "}")
    return ",".join(parts)


def _model_config_file(fields: dict[str, object], generation: dict[str, object], output_dir: str) -> str:
    """The same model arguments as a YAML file in `output_dir` (lighteval reads either): any text fits there, e.g. a
    system prompt with commas and newlines, which the inline string cannot carry."""
    import yaml

    parameters = {key: value for key, value in fields.items() if value is not None and value != ""}
    path = Path(output_dir) / "model_config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"model_parameters": {**parameters, "generation_parameters": generation}}))
    return str(path)


def lighteval_command(
    model: str,
    tasks: list[str] | str,
    backend: str = "vllm",
    parallel: str = "data",
    num_gpus: int = 1,
    output_dir: str | None = None,
    max_samples: int | None = None,
    max_model_length: int | None = None,
    revision: str | None = None,
    dtype: str | None = None,
    batch_size: int | None = None,
    server_url: str | None = None,
    temperature: float = TEMPERATURE,
    trust_remote_code: bool = False,
    system_prompt: str | None = None,
    cache_dir: str | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The command line that evaluates `model` on `tasks`: lighteval through src/open_r1/evaluate.py's launcher.

    vllm (default, as open-r1): `lighteval endpoint litellm` against the vLLM server at `server_url` that serves
    `model` (`vllm_server()` builds one; `max_model_length` is its context, `parallel`/`num_gpus` its replicas or
    shards). accelerate (transformers, runs without a GPU): data parallel = `accelerate launch` one process per GPU,
    tensor parallel = the model split over the GPUs (device_map).
    `cache_dir`: where generations are cached, default `generation_cache_dir(model, output_dir, revision)`. A system
    prompt puts the model arguments in <output_dir>/model_config.yaml, written here, instead of the command line.
    """
    if backend not in ("vllm", "accelerate"):
        raise ValueError(f"backend must be vllm or accelerate, got {backend!r}.")
    if parallel not in ("data", "tensor"):
        raise ValueError(f"parallel must be data or tensor, got {parallel!r}.")
    if num_gpus < 1:
        raise ValueError(f"num_gpus must be at least 1, got {num_gpus}.")
    task_spec = ",".join(LIGHTEVAL_TASKS[name] for name in resolve_benchmarks(tasks))
    output_dir = output_dir or default_output_dir(model)
    generation = {"temperature": temperature, "top_p": TOP_P}
    cache_dir = cache_dir or generation_cache_dir(model, output_dir, revision)
    launcher = [python, CUSTOM_TASKS_FILE]
    if backend == "vllm":
        if not server_url:
            raise ValueError("backend vllm evaluates through a vLLM server: pass its server_url (see vllm_server()).")
        replicas = num_gpus if parallel == "data" else 1
        fields = {
            "model_name": model,  # the name the server serves it under
            "provider": SERVER_PROVIDER,
            "base_url": server_url,
            "max_model_length": max_model_length,
            "concurrent_requests": SERVER_REQUESTS_PER_REPLICA * replicas,
            "timeout": SERVER_REQUEST_TIMEOUT,
            "cache_dir": cache_dir,
        }
        backend_args = ["endpoint", "litellm"]
    else:
        fields = {
            "model_name": model,
            "revision": revision,
            "dtype": dtype,  # unset: the model's own dtype (float32 for CPU-sized models)
            "max_length": max_model_length,
            "batch_size": batch_size or _cpu_batch_size(),
            "cache_dir": cache_dir,
            "model_parallel": "True" if parallel == "tensor" and num_gpus > 1 else None,
            "trust_remote_code": "True" if trust_remote_code else None,
        }
        backend_args = ["accelerate"]
        if parallel == "data" and num_gpus > 1:
            accelerate = str(Path(python).with_name("accelerate"))
            launcher = [accelerate, "launch", "--multi_gpu", f"--num_processes={num_gpus}", CUSTOM_TASKS_FILE]
    if system_prompt is not None:
        model_args = _model_config_file({**fields, "system_prompt": system_prompt}, generation, output_dir)
    else:
        model_args = _model_args(fields, generation)
    command = [*launcher, *backend_args, model_args, task_spec]
    command += ["--custom-tasks", CUSTOM_TASKS_FILE, "--output-dir", output_dir]
    # Results straight in the output dir (lighteval's default nests them again under results/<model name>/).
    command += ["--results-path-template", "{output_dir}", "--save-details"]
    if max_samples:
        command += ["--max-samples", str(max_samples)]
    return command


def default_output_dir(model: str) -> str:
    return str(Path("data/evals") / model.strip("/"))


def generation_cache_dir(model: str, output_dir: str, revision: str | None = None) -> str:
    """Where generations are cached (<output_dir>/cache/...), so an interrupted or repeated run does not redo them.

    lighteval keys its cache by the model's config (name, sampling, ...), not its weights: a model retrained in place
    in a local folder would be scored on the old weights' answers. For a local model the cache is therefore keyed by
    its weight files (names, sizes, modification times) too; a hub model by its revision (pass one to tell
    checkpoints apart: `main` moves).
    """
    folder = Path(model)
    if not folder.is_dir():
        return str(Path(output_dir) / "cache" / ("revision-" + re.sub(r"[^\w.-]", "_", revision or "main")))
    stamp = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.is_file():
            stat = file.stat()
            stamp.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return str(Path(output_dir) / "cache" / stamp.hexdigest()[:16])


def _cpu_batch_size() -> int | None:
    """8 without a GPU: lighteval's batch-size autodetection runs trial batches of up to 512 full-length sequences,
    minutes of work on a CPU to choose a number only GPU memory constrains."""
    import torch

    return None if torch.cuda.is_available() else 8


# --- the vLLM server the default backend evaluates through --------------------------------------------------------


@dataclass(frozen=True)
class DeclaredModel:
    """What a model's config.json says about it, where it can be read (None where not)."""

    context: int | None = None  # max_position_embeddings
    dtype: str | None = None


def declared_model(model: str, revision: str | None = None, trust_remote_code: bool = False) -> DeclaredModel:
    """The model's context length and dtype from its config; empty where the config cannot be read (hub offline)."""
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model, revision=revision, trust_remote_code=trust_remote_code)
    except Exception as error:  # no network, gated, no such model: vLLM says what is wrong when it starts
        logger.info("Could not read %s's config (%s).", model, error)
        return DeclaredModel()
    text_config = getattr(config, "text_config", None) or config
    dtype = getattr(text_config, "dtype", None) or getattr(config, "dtype", None)
    return DeclaredModel(
        context=getattr(text_config, "max_position_embeddings", None),
        dtype=str(dtype).removeprefix("torch.") if dtype is not None else None,
    )


def vllm_server(
    model: str,
    parallel: str = "data",
    num_gpus: int = 1,
    max_model_length: int | None = None,
    revision: str | None = None,
    dtype: str | None = None,
    trust_remote_code: bool = False,
    log_path: str | None = None,
):
    """The `vllm serve` (open_r1.utils.vllm_runtime.VLLMServer, not started) that `make evaluate` evaluates through.

    Context: `max_model_length`; unset, the published 32768, or the model's own context where it declares a shorter
    one (what vLLM itself defaults to; serving past it needs the model's rope to extrapolate and vLLM's
    VLLM_ALLOW_LONG_MAX_MODEL_LEN, set here with a warning when `max_model_length` asks for it).
    dtype: bfloat16 on a GPU as open-r1 evaluates; on a CPU the model's own (float32 for CPU-sized models).
    Sampling comes from the requests alone (`--generation-config vllm`): a model's generation_config.json defaults
    (top_k, repetition_penalty, ...) are not applied, as on lighteval's own vLLM backend.
    """
    from open_r1.utils.vllm_runtime import VLLMServer, has_cuda

    gpu = has_cuda()
    declared = declared_model(model, revision, trust_remote_code)
    env = dict(os.environ)
    if max_model_length is None:
        length = min(VLLM_MAX_MODEL_LENGTH, declared.context or VLLM_MAX_MODEL_LENGTH)
        if length < VLLM_MAX_MODEL_LENGTH:
            print(
                f"note: {model} declares a context of {length} tokens, served with it instead of the published "
                f"{VLLM_MAX_MODEL_LENGTH} (MAX_MODEL_LENGTH sets another).",
                file=sys.stderr,
            )
    else:
        length = max_model_length
        if declared.context and length > declared.context:
            print(
                f"warning: {model} declares a context of {declared.context} tokens; serving it with {length} as "
                "MAX_MODEL_LENGTH asks.",
                file=sys.stderr,
            )
            env["VLLM_ALLOW_LONG_MAX_MODEL_LEN"] = "1"
    extra_args = ["--generation-config", "vllm"]
    if revision:
        extra_args += ["--revision", revision, "--tokenizer-revision", revision]
    if trust_remote_code:
        extra_args.append("--trust-remote-code")
    if gpu:
        extra_args += ["--gpu-memory-utilization", str(VLLM_GPU_MEMORY_UTILIZATION)]
    return VLLMServer(
        model,
        max_model_len=length,
        dtype=dtype or ("bfloat16" if gpu else declared.dtype),
        data_parallel_size=num_gpus if parallel == "data" else 1,
        tensor_parallel_size=num_gpus if parallel == "tensor" else 1,
        extra_args=extra_args,
        startup_timeout=SERVER_STARTUP_TIMEOUT,
        log_path=log_path,
        env=env,
    )


def task_environment(
    data_folders: list[str] | None = None, num_samples: int | None = None, max_new_tokens: int | None = None
) -> dict[str, str]:
    """The variables src/open_r1/evaluate.py reads, for the settings that are set."""
    env = {}
    if data_folders:
        env[DATA_DIR_ENV] = os.pathsep.join(data_folders)
    if num_samples:
        env[NUM_SAMPLES_ENV] = str(num_samples)
    if max_new_tokens:
        env[MAX_NEW_TOKENS_ENV] = str(max_new_tokens)
    if num_samples or max_new_tokens:
        print(
            "warning: NUM_SAMPLES/MAX_NEW_TOKENS differ from the published protocol; "
            "these scores are not comparable with DeepSeek's or open-r1's.",
            file=sys.stderr,
        )
    return env


# --- which data: DATA_DIR, the hub, or the copies shipped in the package --------------------------------------


class BenchmarkDataUnavailable(RuntimeError):
    """A benchmark has no data this run can read; the message names the problem and the fix, in one line."""


def hub_access(hub_id: str) -> str | None:
    """None if this machine may download the hub dataset `hub_id` now, else why not (a few words).

    One `auth-check` request, the hub's own answer to "may this token read this repo", so a gated dataset without a
    login is caught here too, before lighteval starts (it would fail minutes later, deep in a traceback).
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, OfflineModeIsEnabled, RepositoryNotFoundError

    if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE") or os.environ.get(
        "HF_DATASETS_OFFLINE", ""
    ).upper() in ("1", "ON", "YES", "TRUE"):
        return "offline mode is on (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)"
    answer = {}

    def check():
        try:
            HfApi().auth_check(hub_id, repo_type="dataset")
            answer["why"] = None
        except GatedRepoError:
            answer["why"] = f"{hub_id} is gated and this machine is not logged in with access to it"
        except RepositoryNotFoundError:
            answer["why"] = f"{hub_id} is not on the hub, or is private to another account"
        except OfflineModeIsEnabled:
            answer["why"] = "offline mode is on (HF_HUB_OFFLINE)"
        except Exception as error:  # no network, DNS, proxy, hub down: all mean "not from the hub now"
            answer["why"] = f"the hub cannot be reached ({type(error).__name__})"

    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(HUB_PROBE_TIMEOUT)
    return answer.get("why", f"the hub did not answer within {HUB_PROBE_TIMEOUT} s")


def resolve_data(benchmarks: list[str], data_dir: str | None = None, probe=hub_access) -> tuple[list[str], list[str]]:
    """The folders src/open_r1/evaluate.py reads local files from, and the warnings to print.

    Each benchmark reads, in order: its file in `data_dir`; the hub; the copy shipped in open_r1.benchmark_data
    (with a warning: the hub is the published source). Fails, before any model loads, for a benchmark none of these
    can serve, naming the fix.
    """
    from open_r1 import benchmark_data

    if data_dir and not os.path.isdir(data_dir):
        raise FileNotFoundError(f"DATA_DIR={data_dir} is not a folder (expected math500.jsonl, aime24.jsonl, ...).")
    folders = [os.path.abspath(data_dir)] if data_dir else []
    fallbacks, hub_answers = {}, {}
    for name in benchmarks:
        data = BENCHMARK_DATA[name]
        if data_dir and os.path.isfile(os.path.join(data_dir, data.local_file)):
            continue
        if data.hub_id not in hub_answers:
            hub_answers[data.hub_id] = probe(data.hub_id)
        why = hub_answers[data.hub_id]
        if why is None:
            continue
        if data.local_file in benchmark_data.FILES:
            fallbacks.setdefault(why, []).append(name)
            continue
        login = (
            "log in to the hub with access to it (accept its terms on huggingface.co, then `hf auth login`)"
            if data.gated
            else "run where the hub can be reached"
        )
        raise BenchmarkDataUnavailable(
            f"{name} has no data: {why}, and open-r1 ships no copy of it. "
            f"Fix: {login}, or set DATA_DIR to a folder holding {data.local_file} (the hub dataset's rows)."
        )
    warnings = [
        f"warning: {why}; evaluating {', '.join(names)} on the copies shipped with open-r1 "
        f"({benchmark_data.DATA_DIR}, the hub's rows; sources and checksums in its README.md)."
        for why, names in fallbacks.items()
    ]
    if fallbacks:
        folders.append(str(benchmark_data.DATA_DIR))
    return folders, warnings


def _optional_int(value: str) -> int | None:
    return int(value) if value.strip() else None


def _optional_float(value: str) -> float | None:
    return float(value) if value.strip() else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Evaluate a model on open-r1's benchmarks with lighteval (what `make evaluate` runs). "
        "Empty values mean unset, so Make variables can be passed through as they are."
    )
    parser.add_argument("--model", required=True, help="Hub id or local folder of the model.")
    parser.add_argument(
        "--task", required=True, help=f"Comma-separated benchmarks: {', '.join(LIGHTEVAL_TASKS)}, all."
    )
    parser.add_argument(
        "--task-spec",
        default=None,
        help="slurm/evaluate.slurm: the lighteval spec the caller gave for --task (open_r1:aime24|0); checked against it.",
    )
    parser.add_argument(
        "--backend",
        default="vllm",
        help="vllm (default: `vllm serve` of the model, GPU or vLLM's CPU build) or accelerate (transformers).",
    )
    parser.add_argument(
        "--server-url",
        default=None,
        help="vllm backend: evaluate against this running OpenAI-compatible server (http://host:8000/v1) that serves "
        "--model under that name, instead of starting one; its own context, dtype and GPUs apply.",
    )
    parser.add_argument("--parallel", default="data", help="data (a replica per GPU) or tensor (one model sharded).")
    parser.add_argument("--num-gpus", type=_optional_int, default=None, help="GPUs to use (default 1).")
    parser.add_argument("--revision", default=None, help="Model revision (hub branch), default main.")
    parser.add_argument(
        "--data-dir", default=None, help="Read a benchmark's file (math500.jsonl, ...) from this folder, not the hub."
    )
    parser.add_argument("--max-samples", type=_optional_int, default=None, help="Evaluate the first N problems only.")
    parser.add_argument("--num-samples", type=_optional_int, default=None, help="n of pass@1 for every task.")
    parser.add_argument("--max-new-tokens", type=_optional_int, default=None, help="Generation budget (32768).")
    parser.add_argument(
        "--temperature",
        type=_optional_float,
        default=None,
        help=f"Sampling temperature (published: {TEMPERATURE}, top_p {TOP_P}); 0 is greedy decoding, one sample per "
        "problem (n defaults to 1), e.g. to compare backends or checkpoints without sampling noise.",
    )
    parser.add_argument("--max-model-length", type=_optional_int, default=None, help="Context length (vllm 32768).")
    parser.add_argument(
        "--dtype", default=None, help="Weights' dtype (vllm: bfloat16 on a GPU; the model's on a CPU and accelerate)."
    )
    parser.add_argument("--batch-size", type=_optional_int, default=None, help="accelerate only; unset = autodetect.")
    parser.add_argument("--trust-remote-code", action="store_true", help="Run the model repository's own code.")
    parser.add_argument("--system-prompt", default=None, help="System message before every problem.")
    parser.add_argument("--output-dir", default=None, help="Default data/evals/<model>.")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the commands and their environment (and write the model config a system prompt needs); run nothing.",
    )
    return parser


def _print_command(command: list[str], env: dict[str, str]) -> None:
    print(" ".join([*(f"{key}={shlex.quote(value)}" for key, value in env.items()), shlex.join(command)]), flush=True)


def _exit_on_sigterm(signum, frame) -> None:
    # scancel and `kill` send SIGTERM: exit through the `with server` block, so the vLLM server (its own process
    # group, which a job's signal does not reach) stops with the evaluation instead of outliving it.
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = _parser()
    args = parser.parse_args(argv)
    backend, parallel, num_gpus = args.backend or "vllm", args.parallel or "data", args.num_gpus or 1
    output_dir = args.output_dir or default_output_dir(args.model)
    temperature = TEMPERATURE if args.temperature is None else args.temperature
    num_samples = args.num_samples
    server, server_url, max_model_length, cache_dir = None, args.server_url or None, args.max_model_length, None
    try:
        if temperature == 0:
            if (num_samples or 1) > 1:
                raise ValueError("--temperature 0 is greedy decoding, one sample per problem: drop --num-samples.")
            num_samples = 1
        # A mistyped local folder would otherwise be taken for a hub id: 200 lines of lighteval's or vLLM's traceback.
        # A dry run may print the commands for a model that a run before it will write: a warning then.
        try:
            check_local_model(args.model)
        except FileNotFoundError as error:
            if not args.dry_run:
                raise
            print(f"warning: {error}", file=sys.stderr)
        if args.task_spec:
            expected = ",".join(LIGHTEVAL_TASKS[name] for name in resolve_benchmarks(args.task))
            if args.task_spec != expected:
                raise ValueError(f"task spec {args.task_spec!r} is not {args.task!r}'s, which is {expected!r}.")
        if server_url and backend != "vllm":
            raise ValueError("--server-url evaluates through a running server: it needs the vllm backend.")
        if server_url:
            server_settings = {
                "--parallel": args.parallel not in (None, "", "data"),
                "--num-gpus": args.num_gpus,
                "--max-model-length": args.max_model_length,
                "--dtype": args.dtype,
                "--revision": args.revision,
                "--trust-remote-code": args.trust_remote_code,
            }
            if any(server_settings.values()):
                options = ", ".join(name for name, value in server_settings.items() if value)
                raise ValueError(f"{options}: the running server at --server-url decides these; leave them unset.")
        command_args = dict(
            model=args.model,
            tasks=args.task,
            backend=backend,
            parallel=parallel,
            num_gpus=num_gpus,
            output_dir=output_dir,
            max_samples=args.max_samples,
            revision=args.revision or None,
            dtype=args.dtype or None,
            batch_size=args.batch_size,
            temperature=temperature,
            trust_remote_code=args.trust_remote_code,
            system_prompt=args.system_prompt,
        )
        # the arguments' checks, before the hub is asked and a server started (the model config file comes later)
        lighteval_command(**{**command_args, "system_prompt": None}, server_url=server_url or "-")
        data_folders, data_warnings = resolve_data(resolve_benchmarks(args.task), args.data_dir or None)
    except (ValueError, FileNotFoundError) as error:  # a wrong value: its one line, not argparse's usage block
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BenchmarkDataUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for warning in data_warnings:
        print(warning, file=sys.stderr)
    if temperature != TEMPERATURE:
        print(f"warning: temperature {temperature} instead of the published {TEMPERATURE}.", file=sys.stderr)
    env = task_environment(data_folders, num_samples, args.max_new_tokens)

    if backend == "vllm" and server_url:
        try:
            served = served_models(server_url)
        except OSError as error:
            print(f"error: no OpenAI-compatible server answers at {server_url}/models ({error}).", file=sys.stderr)
            return 1
        if args.model not in served:
            print(f"error: the server at {server_url} serves {sorted(served)}, not {args.model!r}.", file=sys.stderr)
            return 1
        max_model_length = served[args.model].get("max_model_len")
        root = served[args.model].get("root") or args.model
        cache_dir = generation_cache_dir(root if os.path.isdir(root) else args.model, output_dir)
    elif backend == "vllm":
        log_path = str(Path(output_dir) / "vllm_server.log")
        server = vllm_server(
            args.model,
            parallel=parallel,
            num_gpus=num_gpus,
            max_model_length=max_model_length,
            revision=args.revision or None,
            dtype=args.dtype or None,
            trust_remote_code=args.trust_remote_code,
            log_path=log_path,
        )
        server_url, max_model_length = server.base_url, server.max_model_len
        server_env = {key: value for key, value in server.env.items() if os.environ.get(key) != value}
        _print_command(server.command(), server_env)
    command = lighteval_command(
        **command_args, max_model_length=max_model_length, server_url=server_url, cache_dir=cache_dir
    )
    _print_command(command, env)
    if args.dry_run:
        return 0
    if server is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        print(f"Starting the vLLM server (its log: {server.log_path}) ...", flush=True)
    started = time.time()
    with server if server is not None else nullcontext():
        returncode = subprocess.run(command, env={**os.environ, **env}).returncode
    if returncode == 0 and backend == "accelerate":  # the served path warns before generating (served_model)
        warn_about_cut_prompts(output_dir, since=started, model=args.model, revision=args.revision or None)
    return returncode


def warn_about_cut_prompts(output_dir: str, since: float, model: str, revision: str | None = None) -> int:
    """One warning line when lighteval's transformers backend cut prompts to fit the context (it does so silently,
    leaving such a batch one new token). Each problem of the details written since `since` is put in the model's
    chat template again, as lighteval does, counted with its tokenizer, and compared with the tokens the model was
    given (its input less the padding). lighteval's own `truncated_tokens_count` subtracts a token count from the
    prompt's length in characters, so it is not used. Returns the number of problems whose prompt was cut."""
    import pyarrow.parquet as pq

    files = [path for path in Path(output_dir).glob("details/**/details_*.parquet") if path.stat().st_mtime >= since]
    if not files:
        return 0
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model, revision=revision)
    tokenizer.model_max_length = sys.maxsize  # counting a prompt longer than the model's context is the point here
    cut, total, worst = 0, 0, 0
    for path in files:
        table = pq.read_table(path, columns=["doc", "model_response"])
        for doc, response in zip(table.column("doc").to_pylist(), table.column("model_response").to_pylist()):
            if not doc or not response or response.get("input_tokens") is None:
                continue
            given = len(response["input_tokens"]) - (response.get("padded_tokens_count") or 0)
            text = doc["query"]
            if tokenizer.chat_template:
                messages = [{"role": "user", "content": text}]
                text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            prompt = len(tokenizer(text, add_special_tokens=False)["input_ids"])
            total += 1
            if prompt > given:
                cut, worst = cut + 1, max(worst, prompt - given)
    if cut:
        print(
            f"warning: {cut} of {total} prompts were cut to fit the context (by up to {worst} tokens), and lighteval "
            "then generates one token for every prompt of their batch: these scores mean nothing. A longer "
            "MAX_MODEL_LENGTH fits them.",
            file=sys.stderr,
        )
    return cut


if __name__ == "__main__":
    sys.exit(main())
