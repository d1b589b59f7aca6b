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
"""`make demo`: the whole R1 recipe on a tiny model, on any machine, in minutes, with numbers and plots.

    build tiny tokenizer + model and the demo task  ->  SFT on mixed traces  ->  GRPO with accuracy + format rewards
    ->  evaluate base, SFT and GRPO models on held-out problems (pass@1 over n samples, and greedy accuracy)

Every stage runs through the project's real entry points (`accelerate launch src/open_r1/sft.py|grpo.py` with the
recipes in recipes/demo/), so the demo proves the path users take. Results: data/demo/metrics.json, report.md, PNGs.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

import pandas as pd


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "src"))

from open_r1.sampled_evaluation import evaluate_model  # noqa: E402
from open_r1.utils.synthetic.demo_task import CAREFUL, SHORTCUT, behaviour, build_demo_world  # noqa: E402


SFT_RECIPE = "recipes/demo/sft/config_demo.yaml"
GRPO_RECIPE = "recipes/demo/grpo/config_demo.yaml"
# The runs the README's demo table summarises (scripts/demo_spread.py writes them): make demo prints its own numbers
# beside their range, so a newcomer sees at once whether the run is in range.
REFERENCE_RUNS = os.path.join(REPO_ROOT, "docs", "demo", "reference_runs.json")
# (key in metrics.json or a margin computed from it, label): what the README's table and the comparison show.
REFERENCE_METRICS = [
    ("sft_accuracy", "SFT pass@1"),
    ("grpo_accuracy", "GRPO pass@1"),
    ("pass@1_gain", "GRPO - SFT pass@1"),
    ("sft_greedy_accuracy", "SFT greedy"),
    ("grpo_greedy_accuracy", "GRPO greedy"),
    ("greedy_gain", "GRPO - SFT greedy"),
    ("sft_format_reward", "SFT format reward"),
    ("sft_careful_share", "careful share, SFT"),
    ("grpo_careful_share", "careful share, GRPO"),
]


def launch(script: str, recipe: str, *overrides: str) -> None:
    """Runs an entry point exactly as a user would; its output streams to the console (progress bars included)."""
    accelerate = os.path.join(os.path.dirname(sys.executable), "accelerate")
    command = [accelerate, "launch", "--num_processes", "1", "--num_machines", "1", "--dynamo_backend", "no",
               f"src/open_r1/{script}", "--config", recipe, *overrides]  # fmt: skip
    print(f"\n$ {' '.join(command)}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.path.join(REPO_ROOT, "src")}
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True)


def story_checks(metrics: dict) -> list[tuple[str, bool]]:
    """What the demo exists to show, as (statement, holds): SFT teaches the task and its format, and RL amplifies the
    behaviour that pays off (sampled accuracy up by 5 points or more, greedy accuracy not down)."""
    base, sft, grpo = (metrics[f"{stage}_accuracy"] for stage in ("base", "sft", "grpo"))
    sft_greedy, grpo_greedy = metrics["sft_greedy_accuracy"], metrics["grpo_greedy_accuracy"]
    return [
        (f"SFT learns the task: pass@1 base {base:.3f} < SFT {sft:.3f}", base < sft),
        (
            f"GRPO adds 5 points or more: pass@1 SFT {sft:.3f} -> GRPO {grpo:.3f}",
            metric_value(metrics, "pass@1_gain") >= 0.05 - 1e-9,
        ),
        (f"greedy holds: SFT {sft_greedy:.3f} -> GRPO {grpo_greedy:.3f}", metric_value(metrics, "greedy_gain") >= 0),
        (f"SFT learns the format: {metrics['sft_format_reward']:.3f} >= 0.9", metrics["sft_format_reward"] >= 0.9),
    ]


def metric_value(metrics: dict, key: str) -> float:
    """A metric of metrics.json, or one of the two margins the story is about (pass@1_gain, greedy_gain)."""
    if key == "pass@1_gain":
        return metrics["grpo_accuracy"] - metrics["sft_accuracy"]
    if key == "greedy_gain":
        return metrics["grpo_greedy_accuracy"] - metrics["sft_greedy_accuracy"]
    return metrics[key]


def load_reference(path: str = REFERENCE_RUNS) -> dict:
    with open(path) as file:
        return json.load(file)


def reference_summary(runs: list[dict]) -> list[tuple[str, str, float, float, float, float]]:
    """(key, label, mean, standard deviation, min, max) of each reference metric over the runs."""
    rows = []
    for key, label in REFERENCE_METRICS:
        values = [metric_value(run, key) for run in runs]
        rows.append((key, label, statistics.mean(values), statistics.stdev(values), min(values), max(values)))
    return rows


def reference_table(reference: dict) -> str:
    """The README's demo table: mean and spread of each metric over the reference runs."""
    lines = ["| metric | mean | standard deviation | min | max |", "| --- | --- | --- | --- | --- |"]
    for _, label, mean, sd, low, high in reference_summary(reference["runs"]):
        lines.append(f"| {label} | {mean:.3f} | {sd:.3f} | {low:.3f} | {high:.3f} |")
    return "\n".join(lines)


def cpu_capability() -> dict:
    """The CPU kernel family torch dispatches to in this process (DEFAULT, AVX2, AVX512, ...) and the
    ATEN_CPU_CAPABILITY that forced it, if any: the trained weights, hence the demo's numbers, depend on it."""
    import torch

    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY")}  # fmt: skip


def describe_capability(run: dict) -> str:
    """'AVX2' or 'AVX2 (ATEN_CPU_CAPABILITY=avx2)'; a reference run measured before capabilities were recorded
    is named by its kernels label."""
    if not run.get("cpu_capability"):
        return f"{run.get('kernels', 'unknown')} kernels"
    forced = run.get("aten_cpu_capability")
    return run["cpu_capability"] + (f" (ATEN_CPU_CAPABILITY={forced})" if forced else "")


def compare_with_reference(metrics: dict, reference: dict) -> list[str]:
    """This run's numbers beside the README's range, one line per metric, with the CPU capability of each."""
    runs = reference["runs"]
    paths = sorted({describe_capability(r) for r in runs})
    lines = [
        f"This run ran on CPU capability {describe_capability(metrics)}.",
        f"This run beside the README's range ({len(runs)} runs: seeds "
        f"{', '.join(str(s) for s in sorted({r['seed'] for r in runs}))}; CPU kernel paths {', '.join(paths)}; "
        f"{reference['measured']}):",
        f"  {'metric':<22}{'this run':>9}   {'README mean':>11}   {'README range':<13}",
    ]
    for key, label, mean, _, low, high in reference_summary(runs):
        value = metric_value(metrics, key)
        verdict = "in range" if low - 1e-9 <= value <= high + 1e-9 else "outside the range"
        lines.append(f"  {label:<22}{value:>9.3f}   {mean:>11.3f}   {low:.3f}-{high:.3f}   {verdict}")
    return lines


def log_history(output_dir: str) -> list[dict]:
    with open(os.path.join(output_dir, "trainer_state.json")) as file:
        return json.load(file)["log_history"]


def behaviour_per_step(grpo_dir: str) -> pd.DataFrame:
    """Share of careful / shortcut completions at each GRPO step, from the completions trl logs (log_completions)."""
    frames = [pd.read_parquet(path) for path in sorted(glob.glob(os.path.join(grpo_dir, "completions", "*.parquet")))]
    completions = pd.concat(frames)
    texts = completions["completion"].map(lambda c: c if isinstance(c, str) else c[-1]["content"])
    completions["behaviour"] = texts.map(behaviour)
    return completions.groupby("step")["behaviour"].value_counts(normalize=True).unstack(fill_value=0.0)


def plot_report(output_dir: str, metrics: dict, sft_history: list[dict], grpo_history: list[dict], shares) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(output_dir, name), dpi=110)
        plt.close(fig)
        plots.append(name)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    steps = [(e["step"], e["loss"]) for e in sft_history if "loss" in e]
    ax.plot(*zip(*steps))
    ax.set(title="SFT: training loss", xlabel="step", ylabel="loss")
    save(fig, "sft_loss.png")

    fig, ax = plt.subplots(figsize=(5, 3.2))
    rewards = [
        (e["step"], e["rewards/accuracy_reward/mean"]) for e in grpo_history if "rewards/accuracy_reward/mean" in e
    ]
    ax.plot(*zip(*rewards), alpha=0.35, label="accuracy reward")
    window = pd.Series([r for _, r in rewards]).rolling(10, min_periods=1).mean()
    ax.plot([s for s, _ in rewards], window, label="10-step mean")
    ax.set(title="GRPO: accuracy reward per step", xlabel="step", ylabel="reward", ylim=(0, 1))
    ax.legend()
    save(fig, "grpo_reward.png")

    fig, ax = plt.subplots(figsize=(5, 3.2))
    stages = ["base", "sft", "grpo"]
    x = range(len(stages))
    ax.bar([i - 0.2 for i in x], [metrics[f"{s}_accuracy"] for s in stages], width=0.4, label="pass@1 (n samples)")
    ax.bar([i + 0.2 for i in x], [metrics[f"{s}_greedy_accuracy"] for s in stages], width=0.4, label="greedy")
    ax.set_xticks(list(x), stages)
    ax.set(title="Held-out accuracy per stage", ylabel="accuracy", ylim=(0, 1))
    ax.legend()
    save(fig, "accuracy.png")

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name in (CAREFUL, SHORTCUT):
        if name in shares:
            ax.plot(shares.index, shares[name].rolling(5, min_periods=1).mean(), label=name)
    ax.set(title="GRPO: share of completions per behaviour", xlabel="step", ylabel="share (5-step mean)", ylim=(0, 1))
    ax.legend()
    save(fig, "behaviour.png")
    return plots


def write_report(output_dir: str, metrics: dict, plots: list[str]) -> None:
    rows = [
        ("base", "random init"),
        ("sft", "after SFT"),
        ("grpo", "after GRPO"),
    ]
    lines = [
        "# open-r1 demo report",
        "",
        f"Seed {metrics['seed']}, {metrics['test_problems']} held-out problems, pass@1 over "
        f"{metrics['num_samples']} samples at temperature {metrics['temperature']}; device {metrics['device']}, "
        f"CPU capability {describe_capability(metrics)}; total {metrics['total_seconds']:.0f} s.",
        "",
        "| stage | pass@1 | greedy accuracy | format reward | careful share |",
        "| --- | --- | --- | --- | --- |",
    ]
    for stage, label in rows:
        lines.append(
            f"| {label} | {metrics[f'{stage}_accuracy']:.3f} | {metrics[f'{stage}_greedy_accuracy']:.3f} | "
            f"{metrics[f'{stage}_format_reward']:.3f} | {metrics[f'{stage}_careful_share']:.3f} |"
        )
    lines += ["", *[f"![{name}]({name})" for name in plots], ""]
    with open(os.path.join(output_dir, "report.md"), "w") as file:
        file.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="data/demo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sft-steps", type=int, default=None, help="Override the SFT recipe's max_steps.")
    parser.add_argument("--grpo-steps", type=int, default=None, help="Override the GRPO recipe's max_steps.")
    parser.add_argument("--test-problems", type=int, default=100, help="Held-out problems to evaluate on.")
    parser.add_argument("--num-samples", type=int, default=8, help="Samples per problem for pass@1.")
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument(
        "--reference-table", action="store_true", help="Print the README's table of the reference runs and exit."
    )
    args = parser.parse_args()
    if args.reference_table:
        print(reference_table(load_reference()))
        return

    import torch

    start = time.perf_counter()
    out = os.path.abspath(args.output_dir)
    world, sft_dir, grpo_dir = (os.path.join(out, name) for name in ("world", "sft", "grpo"))
    for stale in (sft_dir, grpo_dir):  # a fresh demo: never resume a previous seed's run
        subprocess.run(["rm", "-rf", stale], check=True)

    print("[1/4] Building the tiny model and the demo task", flush=True)
    build_demo_world(world, seed=args.seed)

    print("[2/4] SFT on traces that mix careful and shortcut reasoning", flush=True)
    sft_overrides = ["--seed", str(args.seed), "--model_name_or_path", f"{world}/model",
                     "--dataset_name", f"{world}/sft.jsonl", "--output_dir", sft_dir]  # fmt: skip
    if args.sft_steps is not None:
        sft_overrides += ["--max_steps", str(args.sft_steps)]
    launch("sft.py", SFT_RECIPE, *sft_overrides)

    print("[3/4] GRPO from the SFT model, rewarded for right answers in the think/answer format", flush=True)
    grpo_overrides = ["--seed", str(args.seed), "--model_name_or_path", sft_dir,
                      "--dataset_name", f"{world}/grpo.jsonl", "--output_dir", grpo_dir]  # fmt: skip
    if args.grpo_steps is not None:
        grpo_overrides += ["--max_steps", str(args.grpo_steps)]
    launch("grpo.py", GRPO_RECIPE, *grpo_overrides)

    print("[4/4] Evaluating base, SFT and GRPO models on held-out problems", flush=True)
    with open(os.path.join(world, "test.jsonl")) as file:
        test = [json.loads(line) for line in file][: args.test_problems]
    metrics = {"seed": args.seed, "test_problems": len(test), "num_samples": args.num_samples,
               "temperature": args.temperature, "device": "cuda" if torch.cuda.is_available() else "cpu", **cpu_capability()}  # fmt: skip
    for stage, path in (("base", f"{world}/model"), ("sft", sft_dir), ("grpo", grpo_dir)):
        result = evaluate_model(
            path,
            [row["problem"] for row in test],
            [row["solution"] for row in test],
            num_samples=args.num_samples,
            temperature=args.temperature,
            seed=args.seed,
            behaviour=behaviour,
            desc=f"Evaluating {stage}",
        )
        metrics[f"{stage}_accuracy"] = result["pass@1"]
        metrics[f"{stage}_greedy_accuracy"] = result["greedy_accuracy"]
        metrics[f"{stage}_format_reward"] = result["format_reward"]
        metrics[f"{stage}_careful_share"] = result["behaviour_shares"].get(CAREFUL, 0.0)

    sft_history, grpo_history = log_history(sft_dir), log_history(grpo_dir)
    shares = behaviour_per_step(grpo_dir)
    metrics["grpo_careful_share_per_step"] = [round(v, 4) for v in shares.get(CAREFUL, pd.Series()).tolist()]
    metrics["total_seconds"] = time.perf_counter() - start
    metrics["checks"] = {statement: holds for statement, holds in story_checks(metrics)}
    with open(os.path.join(out, "metrics.json"), "w") as file:
        json.dump(metrics, file, indent=2)
    write_report(out, metrics, plot_report(out, metrics, sft_history, grpo_history, shares))

    print(f"\nDemo finished in {metrics['total_seconds']:.0f} s on CPU capability {describe_capability(metrics)}. "
          f"Report: {out}/report.md")  # fmt: skip
    for stage in ("base", "sft", "grpo"):
        print(
            f"  {stage:>4}: pass@1 {metrics[f'{stage}_accuracy']:.3f}  greedy {metrics[f'{stage}_greedy_accuracy']:.3f}"
            f"  format {metrics[f'{stage}_format_reward']:.3f}  careful share {metrics[f'{stage}_careful_share']:.3f}"
        )
    if os.path.exists(REFERENCE_RUNS):  # absent only while scripts/demo_spread.py measures a new reference
        print("\n".join(compare_with_reference(metrics, load_reference())))
    print("Exact numbers depend on the CPU (README, The demo); what the run must show, on any CPU:")
    for statement, holds in metrics["checks"].items():
        print(f"  [{'ok' if holds else 'MISSED'}] {statement}")


if __name__ == "__main__":
    main()
