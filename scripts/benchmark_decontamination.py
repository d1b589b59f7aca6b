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
"""Measures scripts/decontaminate.py on a synthetic dataset with planted contamination, and draws the README figure.

    python scripts/benchmark_decontamination.py --rows 100000 --figure docs/decontamination.png   (make decontamination-figure)

The dataset is random problem-like text (words drawn from GSM8K questions, 30-120 per row) plus, for each
benchmark, `--planted` rows of four kinds: a verbatim copy, a reformatted copy (upper case, `$` and punctuation
removed, doubled spaces), and an excerpt of 8 or of 7 whitespace-separated words inside random text. An 8-word excerpt
must be caught at n=8; a 7-word one only when its LaTeX splits into 8 or more word tokens. It reports how many of each are flagged, false hits on the random rows, and rows/s with 1
and `--num_proc` processes, next to open-r1's original matcher (whitespace words, Python string n-gram sets).
"""

import argparse
import json
import os
import random
import re
import sys
import time

from datasets import Dataset


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decontaminate import decontaminate, load_benchmark  # noqa: E402

from open_r1 import benchmark_data  # noqa: E402
from open_r1.utils.decontamination import build_lookup  # noqa: E402


KINDS = ("verbatim", "reformatted", "excerpt_8_words", "excerpt_7_words")


def reformat(text: str) -> str:
    return "  ".join(re.sub(r"[$.,;:!?()\\{}]", " ", text).upper().split())


def plant(problem: str, kind: str, rng: random.Random, filler) -> str:
    if kind == "verbatim":
        return problem
    if kind == "reformatted":
        return reformat(problem)
    size = 8 if kind == "excerpt_8_words" else 7
    tokens = problem.split()  # words as a reader counts them, punctuation and LaTeX included
    start = rng.randint(0, max(len(tokens) - size, 0))
    return f"{filler(20)} {' '.join(tokens[start : start + size])} {filler(20)}"


def build_dataset(rows: int, benchmarks: dict[str, list[str]], planted: int, seed: int = 0) -> Dataset:
    rng = random.Random(seed)
    with open(os.path.join(ARGS.benchmark_dir, "gsm8k_test.jsonl")) as f:
        vocabulary = sorted({w for line in f for w in json.loads(line)["question"].split()})

    def filler(k: int) -> str:
        return " ".join(rng.choices(vocabulary, k=k))

    problems, labels = [], []
    for name, texts in benchmarks.items():
        for kind in KINDS:
            # An excerpt needs a problem longer than it (a short problem copied whole is the verbatim case).
            pool = texts if kind in ("verbatim", "reformatted") else [t for t in texts if len(t.split()) >= 10]
            for problem in rng.sample(pool, min(planted, len(pool))):
                problems.append(plant(problem, kind, rng, filler))
                labels.append(f"{name}/{kind}")
    while len(problems) < rows:
        problems.append(filler(rng.randint(30, 120)))
        labels.append("clean")
    return Dataset.from_dict({"problem": problems, "label": labels})


def open_r1_matcher(dataset: Dataset, benchmarks: dict[str, list[str]], n: int) -> dict[str, list[bool]]:
    """open-r1's scripts/decontaminate.py matching: lower-case, whitespace words, sets of joined n-gram strings."""

    def grams(text: str) -> set[str]:
        tokens = " ".join(text.lower().split()).split()
        return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}

    lookups = {name: set().union(*(grams(t) for t in texts)) for name, texts in benchmarks.items()}
    return {
        f"contaminated_{name}": [bool(grams(text) & lookup) for text in dataset["problem"]]
        for name, lookup in lookups.items()
    }


def recall_table(labels: list[str], flags: dict[str, list[bool]], names: list[str]) -> dict[str, dict[str, float]]:
    table = {}
    for name in names:
        column = flags[f"contaminated_{name}"]
        for kind in KINDS:
            hits = [column[i] for i, label in enumerate(labels) if label == f"{name}/{kind}"]
            table.setdefault(kind, {})[name] = sum(hits) / max(len(hits), 1)
    clean = [i for i, label in enumerate(labels) if label == "clean"]
    table["false_hits_on_clean_rows"] = {name: sum(flags[f"contaminated_{name}"][i] for i in clean) for name in names}
    return table


def main() -> int:
    names = ARGS.benchmarks
    benchmarks = {name: load_benchmark(name, ARGS.benchmark_dir, {}) for name in names}
    dataset = build_dataset(ARGS.rows, benchmarks, ARGS.planted)
    labels = dataset["label"]
    lookups = {name: build_lookup(texts, ARGS.ngram_size) for name, texts in benchmarks.items()}

    throughput, ours = {}, None
    for num_proc in sorted({1, ARGS.num_proc}):
        start = time.perf_counter()
        flagged = decontaminate(dataset, lookups, "problem", ARGS.ngram_size, num_proc, ARGS.batch_size)
        throughput[f"this repo, {num_proc} process{'es' if num_proc > 1 else ''}"] = len(dataset) / (
            time.perf_counter() - start
        )
        ours = {f"contaminated_{n}": flagged[f"contaminated_{n}"] for n in names}
    start = time.perf_counter()
    reference = open_r1_matcher(dataset, benchmarks, ARGS.ngram_size)
    throughput["open-r1 original, 1 process"] = len(dataset) / (time.perf_counter() - start)

    result = {
        "rows": len(dataset),
        "ngram_size": ARGS.ngram_size,
        "rows_per_second": throughput,
        "recall_this_repo": recall_table(labels, ours, names),
        "recall_open_r1_original": recall_table(labels, reference, names),
    }
    print(json.dumps(result, indent=2))
    if ARGS.figure:
        draw(result, names, ARGS.figure)
    return 0


def draw(result: dict, names: list[str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 1.6]})
    labels, values = zip(*result["rows_per_second"].items())
    bars = left.barh(labels, values, color=["#4c72b0"] * (len(values) - 1) + ["#999999"])
    left.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3)
    left.set_xlabel("rows / second (higher is better)")
    left.set_title(f"Throughput, {result['rows']:,} rows, {result['ngram_size']}-grams")
    left.set_xlim(0, max(values) * 1.3)

    width = 0.38
    x = range(len(KINDS))
    for offset, (key, label, color) in enumerate(
        [("recall_open_r1_original", "open-r1 original", "#999999"), ("recall_this_repo", "this repo", "#4c72b0")]
    ):
        recall = [sum(result[key][kind][n] for n in names) / len(names) for kind in KINDS]
        right.bar([i + (offset - 0.5) * width for i in x], recall, width, label=label, color=color)
    right.set_xticks(list(x), [k.replace("_", " ") for k in KINDS])
    right.set_ylabel("share of planted rows flagged")
    right.set_ylim(0, 1.05)
    right.set_title(f"Planted copies found, {result['ngram_size']}-grams ({', '.join(names)})")
    right.legend(loc="upper right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"Figure written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=25, help="Planted rows per benchmark and kind")
    parser.add_argument(
        "--benchmark_dir",
        default=str(benchmark_data.DATA_DIR),
        help="Local benchmark files and gsm8k_test.jsonl (default: the copies shipped in open_r1.benchmark_data)",
    )
    parser.add_argument("--benchmarks", nargs="+", default=["math_500", "aime_2024", "aime_2025"])
    parser.add_argument("--ngram_size", type=int, default=8)
    parser.add_argument("--num_proc", type=int, default=os.cpu_count())
    parser.add_argument("--batch_size", type=int, default=10_000)
    parser.add_argument("--figure", default=None, help="PNG to draw (docs/decontamination.png for the README)")
    ARGS = parser.parse_args()
    sys.exit(main())
