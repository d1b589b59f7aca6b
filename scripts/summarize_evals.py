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
"""Tabulates and plots lighteval results: a model x benchmark markdown table and a grouped bar chart.

    python scripts/summarize_evals.py [data/evals ...] [--plot data/evals/summary.png]     (make summarize)

Reads every results_<time>.json under the given folders (lighteval's EvaluationTracker.save_results writes one per
run: {"config_general": {"model_name", "max_samples", ...}, "results": {"<task>|<shots>": {"<metric>": value,
"<metric>_stderr": value}, "all": {...}}, ...}; see lighteval/logging/evaluation_tracker.py, `results` and
`save_results`). Where a model has several results for a benchmark, the newest counts. Scores are percentages.
A score measured on part of a benchmark (MAX_SAMPLES) or with another n than published is marked, never passed
off as comparable.
"""

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path


# n of pass@1 as DeepSeek-R1 and open-r1 publish it, by benchmark; a result with another n is marked.
PUBLISHED_NUM_SAMPLES = {"math_500": 4, "aime24": 64, "aime25": 64, "gpqa:diamond": 8, "lcb:codegeneration": 16}
_TASK_PREFIX = "open_r1:"


@dataclass
class Score:
    model: str
    task: str
    metric: str
    value: float  # 0..1
    stderr: float | None
    partial: bool  # measured on max_samples problems only
    nonstandard_n: bool
    file: Path


def _task_name(key: str) -> str:
    """`open_r1:aime24|0` -> `aime24`; lighteval's own tasks keep their name without the few-shot suffix."""
    name = key.split("|")[0] if key.count("|") < 2 else key.split("|")[1]  # old `suite|task|shots` too
    return name.removeprefix(_TASK_PREFIX)


def _model_name(config: dict) -> str:
    model_config = config.get("model_config") or {}
    name = config.get("model_name") or model_config.get("model_name") or "?"
    revision = model_config.get("revision")
    return f"{name}@{revision}" if revision and revision != "main" else name


def _metric_n(metric: str) -> int | None:
    match = re.search(r"(?:^|[&:])n=(\d+)", metric)
    return int(match.group(1)) if match else None


def read_scores(paths: list[Path]) -> list[Score]:
    """The newest score of each (model, benchmark) found in lighteval results files under `paths`."""
    files = []
    for path in paths:
        files += [path] if path.is_file() else sorted(path.rglob("results_*.json"))
    latest: dict[tuple[str, str], tuple[str, Score]] = {}
    for file in files:
        try:
            run = json.loads(file.read_text())
            config, results = run["config_general"], run["results"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            print(f"warning: skipping {file}: not a lighteval results file ({error!r})", file=sys.stderr)
            continue
        model = _model_name(config)
        when = file.stem.removeprefix("results_")  # ISO time with '-' for ':', sorts as time does
        for key, metrics in results.items():
            if key == "all":
                continue
            task = _task_name(key)
            for metric, value in metrics.items():
                if metric.endswith("_stderr") or not isinstance(value, (int, float)):
                    continue
                n = _metric_n(metric)
                published = PUBLISHED_NUM_SAMPLES.get(task)
                score = Score(
                    model=model,
                    task=task,
                    metric=metric,
                    value=float(value),
                    stderr=metrics.get(f"{metric}_stderr"),
                    partial=bool(config.get("max_samples")),
                    nonstandard_n=n is not None and published is not None and n != published,
                    file=file,
                )
                previous = latest.get((model, task))
                if previous is None or when > previous[0]:
                    latest[(model, task)] = (when, score)
                break  # one headline metric per task: the first, which is the task's pass@1
    return [score for _, score in latest.values()]


def markdown_table(scores: list[Score]) -> str:
    models = sorted({score.model for score in scores})
    tasks = sorted({score.task for score in scores})
    by_key = {(score.model, score.task): score for score in scores}
    lines = ["| model | " + " | ".join(tasks) + " |", "| --- |" + " ---: |" * len(tasks)]
    for model in models:
        cells = []
        for task in tasks:
            score = by_key.get((model, task))
            if score is None:
                cells.append("")
                continue
            marks = ("*" if score.partial else "") + ("†" if score.nonstandard_n else "")
            cells.append(f"{100 * score.value:.1f}{marks}")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    metrics = sorted({f"{score.task}: {score.metric}" for score in scores})
    lines.append("")
    lines.append("Scores in %, the newest run of each model and benchmark. Metrics: " + "; ".join(metrics) + ".")
    if any(score.partial for score in scores):
        lines.append("* measured on part of the benchmark (--max-samples): not comparable with published scores.")
    if any(score.nonstandard_n for score in scores):
        lines.append("† pass@1 over another number of samples than published (n in the metric's name).")
    return "\n".join(lines)


def plot(scores: list[Score], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on clusters and in CI
    import matplotlib.pyplot as plt

    models = sorted({score.model for score in scores})
    tasks = sorted({score.task for score in scores})
    by_key = {(score.model, score.task): score for score in scores}
    width = 0.8 / len(models)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.6 * len(tasks) * max(1, len(models)) ** 0.5), 4.5))
    for index, model in enumerate(models):
        xs, heights, errors = [], [], []
        for task_index, task in enumerate(tasks):
            score = by_key.get((model, task))
            if score is None:
                continue
            xs.append(task_index - 0.4 + width * (index + 0.5))
            heights.append(100 * score.value)
            errors.append(100 * (score.stderr or 0.0))
        bars = axes.bar(xs, heights, width=width, yerr=errors, capsize=2, label=model)
        axes.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    axes.set_xticks(range(len(tasks)), tasks)
    axes.set_ylabel("pass@1 (%)")
    axes.set_ylim(0, 105)
    axes.set_title("open-r1 benchmarks")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("data/evals")], help="Folders or files.")
    parser.add_argument("--plot", type=Path, default=Path("data/evals/summary.png"), help="Bar chart to write.")
    parser.add_argument("--no-plot", action="store_true", help="Print the table only.")
    args = parser.parse_args(argv)

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        parser.error(f"{', '.join(missing)} not found: run `make evaluate MODEL=... TASK=...` first.")
    scores = read_scores(args.paths)
    if not scores:
        parser.error(f"no lighteval results_*.json under {', '.join(map(str, args.paths))}.")
    print(markdown_table(scores))
    if not args.no_plot:
        plot(scores, args.plot)
        print(f"\nBar chart: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
