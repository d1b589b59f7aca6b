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
"""Flags (and optionally drops) training problems that share a word n-gram with an evaluation benchmark.

    python scripts/decontaminate.py --dataset open-r1/OpenR1-Math-220k --problem_column problem \
        --benchmarks math_500 aime_2024 aime_2025 --cleanup --output_dir data/clean

Adds one boolean column `contaminated_<benchmark>` per benchmark and prints how many rows each contaminates.
`--cleanup` drops every contaminated row (and the columns); the result is saved with `--output_dir` and/or pushed
with `--new_dataset_name`. Benchmarks load from the hub by default, or offline from `--benchmark_dir` (files named
math500.jsonl, aime24.jsonl, aime25.jsonl, gpqa_diamond.csv/.jsonl) or `--benchmark_file name=path`. Where the hub
cannot be reached, MATH-500 and AIME 2024/2025 fall back to the copies shipped in the package (open_r1.benchmark_data)
with a warning; GPQA has no shipped copy. How n-grams are matched: src/open_r1/utils/decontamination.py.
"""

import argparse
import difflib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
from datasets import Dataset

from open_r1 import benchmark_data
from open_r1.utils.data import load_dataset_any
from open_r1.utils.decontamination import build_lookup, contamination_flags


logger = logging.getLogger("decontaminate")


@dataclass(frozen=True)
class Benchmark:
    hub_id: str
    config: str | None
    split: str
    column: str
    local_files: tuple[str, ...]  # names tried in --benchmark_dir


BENCHMARKS = {
    "math_500": Benchmark("HuggingFaceH4/MATH-500", None, "test", "problem", ("math500.jsonl", "math_500.jsonl")),
    "aime_2024": Benchmark("HuggingFaceH4/aime_2024", None, "train", "problem", ("aime24.jsonl", "aime_2024.jsonl")),
    "aime_2025": Benchmark("yentinglin/aime_2025", None, "train", "problem", ("aime25.jsonl", "aime_2025.jsonl")),
    "gpqa": Benchmark(
        "Idavidrein/gpqa", "gpqa_diamond", "train", "Question", ("gpqa_diamond.csv", "gpqa_diamond.jsonl", "gpqa.csv")
    ),
}
# The names `make evaluate` and the training configs use for the same benchmarks (TASK=aime24, benchmarks: [aime24]).
ALIASES = {"math500": "math_500", "aime24": "aime_2024", "aime25": "aime_2025", "gpqa_diamond": "gpqa"}
# Column names other benchmark files use for the question, tried in order for a --benchmark_file of unknown shape.
QUESTION_COLUMNS = ("problem", "question", "Question", "question_content", "prompt")


def load_benchmark(name: str, benchmark_dir: str | None, files: dict[str, str]) -> list[str]:
    """The question texts of one benchmark, from --benchmark_file, --benchmark_dir or the hub, in that order."""
    known = BENCHMARKS.get(name)
    path = files.get(name)
    if path is None and benchmark_dir and known:
        path = next(
            (
                os.path.join(benchmark_dir, f)
                for f in known.local_files
                if os.path.isfile(os.path.join(benchmark_dir, f))
            ),
            None,
        )
    if path is not None:
        dataset = load_dataset_any(path, split="train")
    elif known is None:
        raise ValueError(
            f"Unknown benchmark {name!r}: pass --benchmark_file {name}=path, or one of {list(BENCHMARKS)}."
        )
    else:
        try:
            dataset = load_dataset_any(known.hub_id, known.config, known.split)
        except Exception as error:
            shipped = known.local_files[0]
            if shipped in benchmark_data.FILES:
                logger.warning(
                    "Could not load %s from the hub (%s); using the copy shipped with open-r1, %s.",
                    known.hub_id,
                    type(error).__name__,
                    benchmark_data.path(shipped),
                )
                return [str(row[known.column]) for row in benchmark_data.rows(shipped)]
            where = f" or in {benchmark_dir} (tried {', '.join(known.local_files)})" if benchmark_dir else ""
            raise RuntimeError(
                f"Could not load benchmark {name!r} from the hub ({known.hub_id}: {type(error).__name__}){where}. "
                f"Offline, pass --benchmark_dir or --benchmark_file {name}=path; or leave it out with --benchmarks."
            ) from error
    columns = ((known.column,) if known else ()) + QUESTION_COLUMNS
    column = next((c for c in columns if c in dataset.column_names), None)
    if column is None:
        raise ValueError(
            f"Benchmark {name!r} has none of the columns {columns}; its columns are {dataset.column_names}."
        )
    return [str(text) for text in dataset[column]]


def decontaminate(
    dataset: Dataset, lookups: dict[str, np.ndarray], column: str, ngram_size: int, num_proc: int, batch_size: int
) -> Dataset:
    """Adds `contaminated_<benchmark>` columns, in parallel over `num_proc` processes (datasets.map)."""
    if column not in dataset.column_names:
        raise ValueError(
            f"The dataset has no problem column {column!r}; its columns are {dataset.column_names}. "
            "Pass the right one with --problem_column."
        )
    return dataset.map(
        lambda batch: contamination_flags(batch[column], lookups, ngram_size),
        batched=True,
        batch_size=batch_size,
        num_proc=num_proc if num_proc > 1 and len(dataset) > batch_size else None,
        load_from_cache_file=False,  # a rerun must re-check (and time) the rows, not read an old answer
        desc=f"Checking {ngram_size}-grams",
    )


def report(dataset: Dataset, names: list[str], lookups: dict[str, np.ndarray]) -> dict:
    flags = {name: np.asarray(dataset[f"contaminated_{name}"], dtype=bool) for name in names}
    any_flag = np.logical_or.reduce(list(flags.values())) if flags else np.zeros(len(dataset), dtype=bool)
    rows = {name: int(f.sum()) for name, f in flags.items()}
    result = {"rows": len(dataset), "contaminated": rows, "contaminated_any": int(any_flag.sum())}
    print(f"\n| benchmark | benchmark n-grams | contaminated rows | % of {len(dataset)} rows |")
    print("| --- | ---: | ---: | ---: |")
    for name in names:
        print(f"| {name} | {len(lookups[name])} | {rows[name]} | {100 * rows[name] / max(len(dataset), 1):.3f} |")
    print(
        f"| any | | {result['contaminated_any']} | {100 * result['contaminated_any'] / max(len(dataset), 1):.3f} |\n"
    )
    return result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="Hub id, or a local file or folder, to decontaminate")
    parser.add_argument("--config", default=None, help="Dataset config")
    parser.add_argument("--split", default="train", help="Split to decontaminate")
    parser.add_argument("--problem_column", "--problem-column", default="problem", help="Column with the problem")
    parser.add_argument("--ngram_size", "--ngram-size", type=int, default=8, help="Words per n-gram")
    parser.add_argument("--benchmarks", nargs="+", default=list(BENCHMARKS), help="Benchmarks to check against")
    parser.add_argument("--benchmark_dir", "--benchmark-dir", default=None, help="Folder with local benchmark files")
    parser.add_argument(
        "--benchmark_file",
        "--benchmark-file",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="Local file for one benchmark",
    )
    parser.add_argument(
        "--num_proc", "--num-proc", type=int, default=os.cpu_count(), help="Processes for the dataset side"
    )
    parser.add_argument("--batch_size", "--batch-size", type=int, default=10_000, help="Rows per batch of a process")
    parser.add_argument("--cleanup", action="store_true", help="Drop contaminated rows and the flag columns")
    parser.add_argument("--output_dir", "--output-dir", default=None, help="Save the result here (save_to_disk)")
    parser.add_argument(
        "--new_dataset_name", "--new-dataset-name", default=None, help="Push the result to this hub repo"
    )
    parser.add_argument("--report_json", "--report-json", default=None, help="Write the counts as JSON here")
    args = parser.parse_args(argv)
    if args.ngram_size < 1:
        parser.error("--ngram_size must be at least 1")
    bad = [spec for spec in args.benchmark_file if "=" not in spec]
    if bad:
        parser.error(f"--benchmark_file takes NAME=PATH, got {bad}")
    # Before any dataset loads: an unknown name failed only after the training set was read (25 s and more).
    with_files = {spec.split("=", 1)[0] for spec in args.benchmark_file}
    args.benchmarks = [ALIASES.get(name, name) for name in args.benchmarks]
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS and name not in with_files]
    if unknown:
        known = sorted(set(BENCHMARKS) | set(ALIASES))
        hints = [
            name + "".join(f" (did you mean {m}?)" for m in difflib.get_close_matches(name, known, n=1))
            for name in unknown
        ]
        parser.error(
            f"unknown benchmark(s) {', '.join(hints)}: known are {', '.join(BENCHMARKS)} (also spelt "
            f"{', '.join(ALIASES)}), or pass --benchmark_file NAME=PATH for another one"
        )
    return args


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    files = dict(spec.split("=", 1) for spec in args.benchmark_file)
    names = list(dict.fromkeys(args.benchmarks + list(files)))

    dataset = load_dataset_any(args.dataset, args.config, args.split)
    if args.problem_column not in dataset.column_names:  # before loading benchmarks: fail in a second, not a minute
        raise ValueError(
            f"Dataset {args.dataset} has no problem column {args.problem_column!r}; its columns are "
            f"{dataset.column_names}. Pass the right one with --problem_column."
        )
    # The benchmark side is small (hundreds of problems): built once, then shipped to every worker process.
    lookups = {name: build_lookup(load_benchmark(name, args.benchmark_dir, files), args.ngram_size) for name in names}

    start = time.perf_counter()
    flagged = decontaminate(dataset, lookups, args.problem_column, args.ngram_size, args.num_proc, args.batch_size)
    elapsed = time.perf_counter() - start
    result = report(flagged, names, lookups)
    result.update(ngram_size=args.ngram_size, seconds=elapsed, rows_per_second=len(dataset) / max(elapsed, 1e-9))
    print(
        f"Checked {len(dataset)} rows in {elapsed:.1f} s ({result['rows_per_second']:.0f} rows/s, {args.num_proc} processes)."
    )
    if args.report_json:
        with open(args.report_json, "w") as f:
            json.dump(result, f, indent=2)

    if args.cleanup:
        flag_columns = [f"contaminated_{name}" for name in names]
        flagged = flagged.filter(
            lambda *flags: [not any(row) for row in zip(*flags)],
            input_columns=flag_columns,
            batched=True,
            batch_size=args.batch_size,
            desc="Dropping contaminated rows",
        ).remove_columns(flag_columns)
        print(f"Kept {len(flagged)} of {len(dataset)} rows.")
    if args.output_dir:
        flagged.save_to_disk(args.output_dir)
        print(f"Saved to {args.output_dir}.")
    if args.new_dataset_name:
        flagged.push_to_hub(args.new_dataset_name, split=args.split)
        print(f"Pushed to {args.new_dataset_name} (split {args.split}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
