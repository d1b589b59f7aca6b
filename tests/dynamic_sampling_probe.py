"""Runs grpo.py's `main()` under `accelerate launch` with a reward that has a spread on some prompts only, and has
every rank write down which completions reached the loss.

    accelerate launch tests/dynamic_sampling_probe.py --config <recipe> --dynamic_sampling true ...

Used by tests/test_dynamic_sampling.py. The entry point runs unchanged except for two things: its rewards are
replaced by `spread_reward` (a problem marked `(flat)` gives all its completions the same reward; any other gives
each completion a number computed from its text, so its group's rewards differ), and the trainer's loss is wrapped to
append, per optimizer step, the prompts and advantages it was given to `loss_rows.rank<N>.jsonl` in the output
folder.
"""

import json
import os
import sys

import open_r1.grpo as grpo
from open_r1.utils.dynamic_sampling import DynamicSamplingGRPOTrainer
from open_r1.utils.recipe_parser import OpenR1Parser


def spread_reward(completions, problem, **kwargs):
    return [
        1.0 if "(flat)" in p else float(sum(map(ord, c[0]["content"])) % 997) for c, p in zip(completions, problem)
    ]


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
    script_args, training_args, model_args = OpenR1Parser(
        (grpo.GRPOScriptArguments, grpo.GRPOConfig, grpo.ModelConfig)
    ).parse_args_and_config(argv)
    grpo.get_reward_funcs = lambda args: [spread_reward]
    record_loss_inputs(training_args.output_dir)
    grpo.main(script_args, training_args, model_args)
