"""Runs grpo.py's `main()` under `accelerate launch` with a reward that has a spread on some prompts only, and has
every rank write down which completions reached the loss.

    accelerate launch tests/dynamic_sampling_probe.py --config <recipe> --dynamic_sampling true ... [--probe_kill_at STEP]

Used by tests/test_dynamic_sampling.py. The entry point runs unchanged except for two things: its rewards are
replaced by `spread_reward` (a problem marked `(flat)` gives all its completions the same reward; any other gives
each completion a number computed from its text, so its group's rewards differ), and the trainer's loss is wrapped to
append, per optimizer step, the prompts and advantages it was given to `loss_rows.rank<N>.jsonl` in the output
folder. `--probe_kill_at STEP` SIGKILLs the run right after the checkpoint of that step is on disk (a preemption).
"""

import json
import os
import signal
import sys

from transformers import TrainerCallback

import open_r1.grpo as grpo
from open_r1.utils.dynamic_sampling import DynamicSamplingGRPOTrainer
from open_r1.utils.recipe_parser import OpenR1Parser


def spread_reward(completions, problem, **kwargs):
    return [
        1.0 if "(flat)" in p else float(sum(map(ord, c[0]["content"])) % 997) for c, p in zip(completions, problem)
    ]


class KillAfterSave(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def record_loss_inputs(output_dir: str):
    compute_loss = DynamicSamplingGRPOTrainer._compute_loss

    def recorded(self, model, inputs):
        prompts = self.processing_class.batch_decode(inputs["prompt_ids"], skip_special_tokens=True)
        row = {
            "rank": self.accelerator.process_index,
            "step": self.state.global_step + 1,
            "prompts": prompts,
            "advantages": inputs["advantages"].tolist(),
            "completion_tokens": int(inputs["completion_mask"].sum()),
            "num_items_in_batch": int(inputs["num_items_in_batch"]),
        }
        path = os.path.join(output_dir, f"loss_rows.rank{self.accelerator.process_index}.jsonl")
        with open(path, "a") as file:
            file.write(json.dumps(row) + "\n")
        return compute_loss(self, model, inputs)

    DynamicSamplingGRPOTrainer._compute_loss = recorded


if __name__ == "__main__":
    argv = sys.argv[1:]
    kill_at = None
    if "--probe_kill_at" in argv:
        index = argv.index("--probe_kill_at")
        kill_at = int(argv[index + 1])
        del argv[index : index + 2]
    script_args, training_args, model_args = OpenR1Parser(
        (grpo.GRPOScriptArguments, grpo.GRPOConfig, grpo.ModelConfig)
    ).parse_args_and_config(argv)
    grpo.get_reward_funcs = lambda args: [spread_reward]
    if kill_at is not None:
        callbacks = grpo.get_callbacks
        grpo.get_callbacks = lambda *args: [*callbacks(*args), KillAfterSave(kill_at)]
    record_loss_inputs(training_args.output_dir)
    grpo.main(script_args, training_args, model_args)
