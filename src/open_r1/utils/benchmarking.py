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
"""What `scripts/benchmark_grpo.py` and `scripts/benchmark_sft.py` share: random-init models built from architecture
configs (no download), per-step timing, peak memory, FLOPs and MFU, and the table/JSON output.

Models. A benchmark needs the shape of a model, not its weights: `build_model_dir` writes a random-init model of a
named shape (or of any `config.json`) next to the tiny world's tokenizer. The Qwen2.5 shapes keep their real
vocabulary size (151936), so the embedding and LM-head cost is the real one; ids past the tiny tokenizer's 312
decode to nothing, which only makes the random completions shorter as text, not as tokens.

Memory. On a GPU the peak is `torch.cuda.max_memory_allocated` (reset per variant). On a CPU it is the process's
resident set size sampled every 20 ms by a thread while the variant runs (`psutil`): `ru_maxrss` only ever grows
within a process, so it cannot tell variants run one after another apart.

MFU. Model FLOPs per trained token follow the PaLM convention: 6 N + 12 L H S (N: parameters that take part in
matmuls, the LM head included and the input embedding lookup excluded; L layers, H hidden size, S sequence length),
divided by the update time and the device's dense bf16 peak. Only computed where CUDA is present.
"""

import importlib.util
import json
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import TrainerCallback


# Shapes of the models the recipes train, from their config.json (random weights, so nothing is downloaded).
_QWEN2 = dict(model_type="qwen2", hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1_000_000.0, vocab_size=151936)
MODEL_SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {},  # the tiny world's own model (utils/synthetic/tiny_world.py)
    "qwen2.5-0.5b": dict(
        _QWEN2,
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        tie_word_embeddings=True,
    ),
    "qwen2.5-1.5b": dict(
        _QWEN2,
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        tie_word_embeddings=True,
    ),
}

# Dense bf16 peak of common training GPUs (FLOP/s, no sparsity), matched against torch.cuda.get_device_name().
PEAK_BF16_FLOPS: list[tuple[str, float]] = [
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100", 989e12),
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("A10G", 125e12),
    ("L4", 121e12),
]


# --------------------------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------------------------


def build_world(output_dir: str, seed: int = 0) -> str:
    """The tiny world (tokenizer, tiny model, datasets) in `output_dir`, built once and reused."""
    from .synthetic.tiny_world import build_tiny_world

    if not os.path.isfile(os.path.join(output_dir, "model", "config.json")):
        build_tiny_world(output_dir, seed=seed)
    return output_dir


def load_shape(model: str) -> dict[str, Any]:
    """A named shape of MODEL_SHAPES, or the contents of a config.json file (any architecture transformers knows)."""
    if model in MODEL_SHAPES:
        return dict(MODEL_SHAPES[model])
    if os.path.isfile(model):
        with open(model, encoding="utf-8") as file:
            shape = json.load(file)
        if "model_type" not in shape:
            raise ValueError(f"{model} has no `model_type`: it must be a transformers config.json.")
        return shape
    raise ValueError(f"Unknown model {model!r}: use one of {sorted(MODEL_SHAPES)} or the path of a config.json.")


def build_model_dir(world_dir: str, model: str, dtype: torch.dtype = torch.float32, seed: int = 0) -> str:
    """A folder with a random-init model of shape `model` and the tiny world's tokenizer; `from_pretrained` loads it."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tiny_dir = os.path.join(world_dir, "model")
    if model == "tiny":
        return tiny_dir
    name = os.path.splitext(os.path.basename(model))[0]
    model_dir = os.path.join(world_dir, f"model-{name}-{str(dtype).removeprefix('torch.')}")
    if os.path.isfile(os.path.join(model_dir, "config.json")):
        return model_dir
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    shape = load_shape(model)
    model_type = shape.pop("model_type")
    shape["vocab_size"] = max(shape.get("vocab_size", 0), len(tokenizer))  # never smaller than the tokenizer
    shape.update(bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    config = AutoConfig.for_model(model_type, **shape)
    torch.manual_seed(seed)
    net = AutoModelForCausalLM.from_config(config, dtype=dtype)
    net.generation_config.eos_token_id = tokenizer.eos_token_id
    net.generation_config.pad_token_id = tokenizer.pad_token_id
    tokenizer.save_pretrained(model_dir)
    net.save_pretrained(model_dir)
    return model_dir


def matmul_params(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all of them but the input embedding (the LM head is counted)."""
    total = sum(p.numel() for p in model.parameters())
    embedding = model.get_input_embeddings().weight
    head = model.get_output_embeddings()
    tied = head is not None and head.weight is embedding
    return total if tied else total - embedding.numel()


def flops_counter(model: torch.nn.Module) -> Callable[[float, float], float]:
    """(tokens, seq_len) -> model FLOPs of a forward + backward over `tokens` tokens in sequences of `seq_len`
    (PaLM, appendix B). Holds numbers only, so the model can be freed before the figures are computed."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    layers, hidden, params = config.num_hidden_layers, config.hidden_size, matmul_params(model)
    return lambda tokens, seq_len: tokens * (6 * params + 12 * layers * hidden * seq_len)


def training_flops(model: torch.nn.Module, tokens: int, seq_len: float) -> float:
    return flops_counter(model)(tokens, seq_len)


def peak_device_flops(override_tflops: float | None = None) -> float | None:
    """The device's dense bf16 peak in FLOP/s; None on a CPU or an unknown GPU (pass --peak-tflops)."""
    if override_tflops:
        return override_tflops * 1e12
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    for key, flops in PEAK_BF16_FLOPS:
        if key in name:
            return flops
    return None


# --------------------------------------------------------------------------------------------------------------------
# Timing and memory
# --------------------------------------------------------------------------------------------------------------------


def synchronize() -> None:
    """Waits for queued GPU work, so a wall-clock interval covers the kernels it launched."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class PeakMemory:
    """Peak memory of a block: GPU allocator peak under CUDA, else the sampled process RSS (see module docstring)."""

    def __init__(self, interval_s: float = 0.02):
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = None

    @property
    def method(self) -> str:
        return "torch.cuda.max_memory_allocated" if torch.cuda.is_available() else "process RSS sampled every 20 ms"

    def _sample(self) -> None:
        import psutil

        process = psutil.Process()
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, process.memory_info().rss)
            self._stop.wait(self.interval_s)

    def __enter__(self):
        release_freed_memory()
        self.before_bytes = current_memory()
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if torch.cuda.is_available():
            self.peak_bytes = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()
        return False

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20

    @property
    def before_mb(self) -> float:
        return self.before_bytes / 2**20


def current_memory() -> int:
    """Bytes in use now, measured as PeakMemory measures peaks."""
    if torch.cuda.is_available():
        return torch.cuda.memory_allocated()
    import psutil

    return psutil.Process().memory_info().rss


def release_freed_memory() -> None:
    """Frees what earlier variants left behind (objects, the CUDA cache, glibc's free lists) before a measurement,
    so a variant's RSS peak is not an earlier variant's high-water mark."""
    import ctypes
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): RSS may include memory freed earlier
        pass


@dataclass
class StepRecord:
    """Wall-clock seconds of one optimizer step, split into the parts the benchmarks time separately."""

    step_s: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds

    def count(self, name: str, value: float) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + value


class StepTimer(TrainerCallback):
    """Times every optimizer step (on_step_begin to on_step_end) and collects what `timed` measured inside it."""

    def __init__(self):
        self.steps: list[StepRecord] = []
        self.current: StepRecord | None = None
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        synchronize()
        self.current = StepRecord()
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        synchronize()
        self.current.step_s = time.perf_counter() - self._start
        self.steps.append(self.current)
        self.current = None

    def timed(self, part: str, func: Callable) -> Callable:
        """`func`, with its wall-clock time (GPU work included) added to the current step's `part`."""

        def wrapper(*args, **kwargs):
            synchronize()
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                synchronize()
                if self.current is not None:
                    self.current.add(part, time.perf_counter() - start)

        wrapper.__name__ = getattr(func, "__name__", part)
        wrapper.__wrapped__ = func
        return wrapper


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------------------


def device_info() -> dict[str, Any]:
    """What the figures were measured on, for the JSON and the docs."""
    info = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({platform.processor()})",
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
    }
    try:
        import transformers
        import trl

        info.update(torch=torch.__version__, transformers=transformers.__version__, trl=trl.__version__)
    except ImportError:  # pragma: no cover
        pass
    if not torch.cuda.is_available():
        cpu_name = _cpu_model_name()
        if cpu_name:
            info["device"] = f"CPU ({cpu_name})"
    return info


def _cpu_model_name() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == 0:
            return "0"
        magnitude = abs(value)
        return f"{value:.3g}" if magnitude < 100 else f"{value:,.0f}"
    return str(value)


def markdown_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A markdown table of `rows` with (key, header) `columns`; missing values print as '-'."""
    header = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    lines = [header, rule]
    for row in rows:
        lines.append("| " + " | ".join(format_value(row.get(key)) for key, _ in columns) + " |")
    return "\n".join(lines)


def write_json(path: str, payload: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=2)
        file.write("\n")


# GPU-only benchmark variants -> the package each needs (and the setup.py extra that installs it).
GPU_ONLY_VARIANTS = {"liger": "liger_kernel", "vllm": "vllm"}


def gpu_only_skip_reason(variant: str) -> str | None:
    """Why a GPU-only variant (liger, vllm) cannot run on this machine, or None when it can (or is not GPU-only)."""
    package = GPU_ONLY_VARIANTS.get(variant)
    if package is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return f"{variant} needs a CUDA GPU"
    if importlib.util.find_spec(package) is None:
        return f'{package} is not installed (pip install "torch==2.13.0" -e ".[{variant}]")'
    return None
