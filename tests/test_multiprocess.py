"""A real 2-process run of the tiny SFT and GRPO recipes: `accelerate launch` with the shipped DDP config, on CPU.

Each run goes through the same entry point `main()` a user runs. A small wrapper (written to a temporary file) swaps
in a `train_and_save` that, after the real one, has every rank write what it saw: its rank, the world size, and a
SHA-256 of its model's weights, plus whether those weights equal the checkpoint rank 0 saved. Equal hashes on both
ranks mean DDP kept the replicas in sync; a hash different from the untrained model means training happened.

On a CPU, transformers needs `use_cpu` to form a gloo process group: without it each of the two processes trains
alone, as rank 0 of a world of 1. The configs turn it on by themselves when launched with several processes and no
GPU, which is what these runs check: the command line is exactly the README's, with no `--use_cpu`.

DeepSpeed ZeRO and FSDP cannot run on CPU through accelerate 1.15 + the Trainer
(DeepSpeed is only enabled when not on CPU; FSDP only for GPU-like process groups), so their configs are checked
without training in tests/test_recipes.py; recipes/README.md says so.
"""

import hashlib
import json
import re
import socket
from pathlib import Path

import pytest
from conftest import ACCELERATE, run_command, tiny_overrides
from safetensors.torch import load_file


pytestmark = pytest.mark.slow

WRAPPER = """
import hashlib, json, os, sys

import torch
from safetensors.torch import load_file

task = sys.argv.pop(1)
if task == "sft":
    from open_r1 import sft as entry
    classes = (entry.ScriptArguments, entry.SFTConfig, entry.ModelConfig)
else:
    from open_r1 import grpo as entry
    classes = (entry.GRPOScriptArguments, entry.GRPOConfig, entry.ModelConfig)
real_train_and_save = entry.train_and_save


def train_save_and_fingerprint(trainer, training_args, *args, **kwargs):
    real_train_and_save(trainer, training_args, *args, **kwargs)
    accelerator = trainer.accelerator
    accelerator.wait_for_everyone()  # rank 0 has written the checkpoint
    weights = accelerator.unwrap_model(trainer.model).state_dict()
    saved = load_file(os.path.join(training_args.output_dir, "model.safetensors"))
    digest = hashlib.sha256()
    for name in sorted(saved):
        digest.update(name.encode())
        digest.update(weights[name].detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    marker = {
        "process_index": accelerator.process_index,
        "num_processes": accelerator.num_processes,
        "distributed_type": str(accelerator.distributed_type),
        "global_step": trainer.state.global_step,
        "sha256": digest.hexdigest(),
        "equals_saved_checkpoint": all(torch.equal(weights[name].cpu(), saved[name]) for name in saved),
    }
    with open(os.path.join(training_args.output_dir, f"rank{accelerator.process_index}.json"), "w") as file:
        json.dump(marker, file)


entry.train_and_save = train_save_and_fingerprint
entry.main(*entry.OpenR1Parser(classes).parse_args_and_config())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _weights_sha256(safetensors_file: Path) -> str:
    """The wrapper's hash, computed from a checkpoint file."""
    import torch

    tensors = load_file(safetensors_file)
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode())
        digest.update(tensors[name].to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def _launch_two_processes(task: str, tiny_world: Path, output_dir: Path, tmp_path: Path, *extra: str):
    wrapper = tmp_path / "fingerprint_ranks.py"
    wrapper.write_text(WRAPPER)
    command = [
        ACCELERATE,
        "launch",
        "--config_file",
        "recipes/accelerate_configs/ddp.yaml",
        "--num_processes",
        "2",
        "--mixed_precision",
        "no",
        "--main_process_port",
        str(_free_port()),
        str(wrapper),
        task,
        "--config",
        f"recipes/tiny/{task}/config_demo.yaml",
        *tiny_overrides(tiny_world, output_dir, task),
        "--log_level",
        "info",
        "--log_level_replica",
        "info",
        "--save_strategy",
        "no",
        *extra,
    ]
    result = run_command(command, timeout=240)
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if re.search(r"Error|Traceback|^\[rank\d\]:", line)]
        pytest.fail("2-process launch failed:\n" + "\n".join(errors[-60:]) + "\n...\n" + result.stdout[-3000:])
    return result.stdout


def _check_ranks(output: str, output_dir: Path, tiny_world: Path, steps: int) -> list[dict]:
    # Both ranks ran open_r1's setup in a distributed process group (setup_logging logs one line per process).
    ranks = sorted(set(re.findall(r"Process rank (\d+), device cpu\S*, n_gpu 0, distributed True", output)))
    assert ranks == ["0", "1"], output[-4000:]

    markers = [json.loads((output_dir / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [m["process_index"] for m in markers] == [0, 1]
    assert all(m["num_processes"] == 2 and m["distributed_type"] == "DistributedType.MULTI_CPU" for m in markers)
    assert all(m["global_step"] == steps for m in markers)
    # Same weights on every rank, equal to the saved checkpoint.
    assert markers[0]["sha256"] == markers[1]["sha256"]
    assert all(m["equals_saved_checkpoint"] for m in markers)
    assert markers[0]["sha256"] == _weights_sha256(output_dir / "model.safetensors")
    # And training moved them: replicas that never changed would be "in sync" without any gradient averaging.
    assert markers[0]["sha256"] != _weights_sha256(tiny_world / "model" / "model.safetensors")
    return markers


def test_sft_two_processes_ddp(tiny_world, tmp_path):
    output_dir = tmp_path / "sft"
    output = _launch_two_processes("sft", tiny_world, output_dir, tmp_path, "--max_steps", "4")
    _check_ranks(output, output_dir, tiny_world, steps=4)
    # The global batch is per-device batch x 2 processes: the data was split between the ranks, not duplicated.
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert "Total train batch size (w. parallel, distributed & accumulation) = 32" in output  # 16 per device x 2
    assert state["train_batch_size"] == 16


def test_grpo_two_processes_ddp(tiny_world, tmp_path):
    output_dir = tmp_path / "grpo"
    # The untrained tiny model earns the same accuracy and format reward (0) on every completion of a prompt: zero
    # advantage, zero gradient, weights that stay in sync by never moving. The cosine reward scores wrong answers by
    # their length, which differs between completions, so every step has a gradient that DDP must average.
    rewards = ["--reward_funcs", "accuracy", "format", "cosine", "--reward_weights", "1.0", "0.5", "1.0"]
    output = _launch_two_processes(
        "grpo", tiny_world, output_dir, tmp_path, "--max_steps", "2", *rewards, "--cosine_max_len", "100"
    )
    _check_ranks(output, output_dir, tiny_world, steps=2)
    # 8 completions per device x 2 processes = 16 per step = 4 prompts x 4 generations, split across the ranks.
    assert "Total train batch size (w. parallel, distributed & accumulation) = 16" in output
    assert "'rewards/accuracy_reward/mean'" in output and "'rewards/format_reward/mean'" in output
    assert "'rewards/cosine_scaled_reward/mean'" in output
