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
"""The demo's GRPO stage with and without DAPO's dynamic sampling, for the same budget of generated completions:
pass@1 on the held-out problems against the completions generated so far.

    python scripts/demo.py --output-dir data/demo          # (or make demo) the world and the SFT model to start from
    python scripts/demo_dynamic_sampling.py --demo-dir data/demo --output docs/demo/dynamic_sampling

Both runs start from the demo's SFT model with the demo's GRPO recipe and seed. Without dynamic sampling, every step
generates 32 completions; the run's checkpoints every `--every` steps are evaluated. With it (`dynamic_sampling:
true`, `dynamic_sampling_metric: accuracy`, as DAPO), a step generates 32 completions per generation batch until
its 4 groups all have both right and wrong answers; the run goes on in segments of `--every` steps (each a resumed
run, evaluated at its end) until it has generated as many completions as the run without. Each checkpoint is scored
as `make demo` scores its models (pass@1 of 8 samples at temperature 0.6 on 100 held-out problems).
"""

import argparse
import json
import os
import shutil
import sys


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "scripts"))

from demo import GRPO_RECIPE, cpu_capability, launch, log_history  # noqa: E402

from open_r1.sampled_evaluation import evaluate_model  # noqa: E402
from open_r1.utils.synthetic.demo_task import behaviour  # noqa: E402


COMPLETIONS_PER_BATCH = 32  # the demo recipe's per_device_train_batch_size, on its one process
DYNAMIC = ["--dynamic_sampling", "true", "--dynamic_sampling_metric", "accuracy"]


def grpo(demo_dir: str, output_dir: str, seed: int, max_steps: int, every: int, *extra: str) -> None:
    launch(
        "grpo.py", GRPO_RECIPE, "--seed", str(seed), "--model_name_or_path", os.path.join(demo_dir, "sft"),
        "--dataset_name", os.path.join(demo_dir, "world", "grpo.jsonl"), "--output_dir", output_dir,
        "--max_steps", str(max_steps), "--save_strategy", "steps", "--save_steps", str(every),
        "--save_total_limit", "1000", "--log_completions", "false", *extra,
    )  # fmt: skip


def completions_per_step(output_dir: str, dynamic: bool) -> list[int]:
    history = [entry for entry in log_history(output_dir) if "reward" in entry]
    if not dynamic:
        return [COMPLETIONS_PER_BATCH] * len(history)
    return [int(entry["dynamic_sampling/completions_generated"]) for entry in history]


def score(model_dir: str, test: list[dict], seed: int) -> float:
    problems, solutions = [row["problem"] for row in test], [row["solution"] for row in test]
    result = evaluate_model(model_dir, problems, solutions, seed=seed, behaviour=behaviour, desc=model_dir)
    return result["pass@1"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo-dir", default="data/demo", help="A `make demo` output: its world/ and sft/.")
    parser.add_argument("--work-dir", default="data/demo_dynamic_sampling")
    parser.add_argument("--output", default="docs/demo/dynamic_sampling", help="Writes OUTPUT.json and OUTPUT.png.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=80, help="Steps of the run without dynamic sampling.")
    parser.add_argument("--every", type=int, default=10, help="Steps between evaluated checkpoints.")
    args = parser.parse_args()

    with open(os.path.join(args.demo_dir, "world", "test.jsonl")) as file:
        test = [json.loads(line) for line in file][:100]
    sft_score = score(os.path.join(args.demo_dir, "sft"), test, args.seed)
    curves = {}

    plain = os.path.join(args.work_dir, "grpo")
    shutil.rmtree(plain, ignore_errors=True)
    grpo(args.demo_dir, plain, args.seed, args.steps, args.every)
    generated = completions_per_step(plain, dynamic=False)
    budget = sum(generated)
    curves["GRPO"] = [(0, 0, sft_score)] + [
        (step, sum(generated[:step]), score(os.path.join(plain, f"checkpoint-{step}"), test, args.seed))
        for step in range(args.every, args.steps + 1, args.every)
    ]

    dynamic = os.path.join(args.work_dir, "grpo_dynamic_sampling")
    shutil.rmtree(dynamic, ignore_errors=True)
    curves["GRPO + dynamic sampling"] = [(0, 0, sft_score)]
    step = 0
    while not curves["GRPO + dynamic sampling"][-1][1] >= budget:
        step += args.every  # one more segment: the relaunch resumes from the previous segment's checkpoint
        grpo(args.demo_dir, dynamic, args.seed, step, args.every, *DYNAMIC)
        spent = sum(completions_per_step(dynamic, dynamic=True)[:step])
        checkpoint = os.path.join(dynamic, f"checkpoint-{step}")
        curves["GRPO + dynamic sampling"].append((step, spent, score(checkpoint, test, args.seed)))
        print(f"dynamic sampling: step {step}, {spent} of {budget} completions", flush=True)

    result = {"seed": args.seed, "budget": budget, **cpu_capability(), "curves": curves,
              "generation_batches_per_step": [entry.get("dynamic_sampling/generation_batches") for entry in
                                              log_history(dynamic) if "reward" in entry]}  # fmt: skip
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output + ".json", "w") as file:
        json.dump(result, file, indent=2)
    plot(curves, budget, args.output + ".png")
    for name, points in curves.items():
        print(name + ": " + ", ".join(f"{spent} -> {accuracy:.3f}" for _, spent, accuracy in points))


def plot(curves: dict, budget: int, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for name, points in curves.items():
        axis.plot([p[1] for p in points], [p[2] for p in points], marker="o", label=name)
    axis.axvline(budget, color="grey", linestyle=":", linewidth=1)
    axis.set_xlabel("completions generated")
    axis.set_ylabel("pass@1, 100 held-out problems")
    axis.set_title("Demo GRPO with and without DAPO's dynamic sampling")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
