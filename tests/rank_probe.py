"""Runs an entry point's `main()` under `accelerate launch` and has every rank write down what it held and saw.

    accelerate launch [--config_file ...] tests/rank_probe.py sft|grpo --config <recipe> ... [--probe_kill_at STEP]

Used by tests/test_multiprocess.py. The entry point runs unchanged; only its `train_and_save` is wrapped, to add one
callback and write `rank<N>.json` into the output folder at the end:
- after every optimizer step, how many parameter and Adam-state elements this rank holds (owns, for sharded ones),
  against the model's size. Plain DDP holds everything on every rank; ZeRO-2 holds half the optimizer state (2
  ranks); ZeRO-3 and FSDP own about half the parameters too. A config that silently fell back to DDP shows up here.
  ZeRO-3 also keeps full copies it gathered for the forward pass cached until it needs the memory (its
  `stage3_max_live_parameters`, 1e9 elements, is far above the tiny model's 0.8M): reported apart, as gathered.
- the accelerator's distributed type and world, the global step, and (where every rank holds the whole model) a
  SHA-256 of its weights and whether they equal the checkpoint rank 0 saved.
`--probe_kill_at STEP` SIGKILLs every rank right after the checkpoint of that step is on disk (all ranks' shards
written, checked with a barrier): a preempted job, for the resume tests.
"""

import hashlib
import json
import os
import signal
import sys

import torch
from safetensors.torch import load_file
from transformers import TrainerCallback


def owned_numel(tensor) -> int:
    """Elements of a parameter or state tensor this rank owns: its shard for sharded ones, else all of it."""
    if hasattr(tensor, "ds_tensor"):  # DeepSpeed ZeRO-3: this rank's partition
        return tensor.ds_tensor.numel()
    if hasattr(tensor, "to_local"):  # FSDP2 DTensor
        return tensor.to_local().numel()
    return tensor.numel()


def _gathered_numel(tensor) -> int:
    """Elements of a ZeRO-3 parameter gathered from all ranks and still cached (0 once DeepSpeed released it)."""
    return tensor.data.numel() if hasattr(tensor, "ds_tensor") else 0


def full_numel(parameter) -> int:
    return getattr(parameter, "ds_numel", None) or parameter.numel()  # a DTensor's numel() is its global size


def _innermost_optimizer(optimizer):
    """The torch optimizer under accelerate's and DeepSpeed's wrappers: it holds the state this rank keeps."""
    while hasattr(optimizer, "optimizer"):
        optimizer = optimizer.optimizer
    return optimizer


class HeldElements(TrainerCallback):
    """After each optimizer step: the parameter and Adam-state elements this rank holds, and the model's size."""

    def __init__(self):
        self.steps = []

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kwargs):
        parameters = list(model.parameters())
        exp_avgs = [s["exp_avg"] for s in _innermost_optimizer(optimizer).state.values() if "exp_avg" in s]
        self.steps.append(
            {
                "step": state.global_step,
                "model_elements": sum(full_numel(p) for p in parameters if p.requires_grad),
                "parameter_elements_held": sum(owned_numel(p) for p in parameters if p.requires_grad),
                "parameter_elements_gathered": sum(_gathered_numel(p) for p in parameters if p.requires_grad),
                "adam_elements_held": sum(owned_numel(t) for t in exp_avgs),
            }
        )


class KillAfterCheckpoint(TrainerCallback):
    """SIGKILLs this rank once the checkpoint of `step` is complete on every rank: a preempted job."""

    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            if torch.distributed.is_initialized():
                torch.distributed.barrier()  # every rank has written its shards of the checkpoint
            os.kill(os.getpid(), signal.SIGKILL)


def weights_sha256(weights: dict) -> str:
    digest = hashlib.sha256()
    for name in sorted(weights):
        digest.update(name.encode())
        digest.update(weights[name].detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def main():
    task = sys.argv.pop(1)
    kill_at = None
    if "--probe_kill_at" in sys.argv:
        index = sys.argv.index("--probe_kill_at")
        kill_at = int(sys.argv[index + 1])
        del sys.argv[index : index + 2]
    if task == "sft":
        from open_r1 import sft as entry

        classes = (entry.ScriptArguments, entry.SFTConfig, entry.ModelConfig)
    else:
        from open_r1 import grpo as entry

        classes = (entry.GRPOScriptArguments, entry.GRPOConfig, entry.ModelConfig)
    real_train_and_save = entry.train_and_save
    held = HeldElements()

    def train_save_and_probe(trainer, training_args, *args, **kwargs):
        trainer.add_callback(held)
        if kill_at is not None:
            trainer.add_callback(KillAfterCheckpoint(kill_at))
        real_train_and_save(trainer, training_args, *args, **kwargs)
        accelerator = trainer.accelerator
        accelerator.wait_for_everyone()  # rank 0 has written the final model
        marker = {
            "process_index": accelerator.process_index,
            "num_processes": accelerator.num_processes,
            "distributed_type": str(accelerator.distributed_type),
            "global_step": trainer.state.global_step,
            "held_after_each_step": held.steps,
        }
        if held.steps and held.steps[-1]["parameter_elements_held"] == held.steps[-1]["model_elements"]:
            # Every rank holds the whole model (DDP, ZeRO-2): fingerprint the replica, compare it with the checkpoint.
            weights = accelerator.unwrap_model(trainer.model).state_dict()
            saved = load_file(os.path.join(training_args.output_dir, "model.safetensors"))
            marker["sha256"] = weights_sha256({name: weights[name] for name in saved})
            marker["equals_saved_checkpoint"] = all(torch.equal(weights[name].cpu(), saved[name]) for name in saved)
        with open(os.path.join(training_args.output_dir, f"rank{accelerator.process_index}.json"), "w") as file:
            json.dump(marker, file)

    entry.train_and_save = train_save_and_probe
    entry.main(*entry.OpenR1Parser(classes).parse_args_and_config())


if __name__ == "__main__":
    main()
