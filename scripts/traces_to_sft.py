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
"""Turns generated reasoning traces into an SFT dataset: one `messages` conversation per kept trace.

    python scripts/traces_to_sft.py --dataset data/numina-r1-decontaminated \
        --solution_column solution --output_file data/numina-r1-sft.jsonl

Reads the output of `src/open_r1/generate.py` (column `generation`) or `scripts/generate_reasoning.py` (column
`generations`, with `finish_reasons`), a hub id or a local file or folder. A trace is kept when its final answer
math-verifies against the row's gold (`--solution_column`, read by the same `accuracy` reward GRPO uses) and, where
the server reported it, it ended on its own rather than at the token limit: distilling wrong or cut-off reasoning
teaches the student to be wrong or to ramble. `--keep finished` keeps every trace that ended on its own, right or
not (data with no gold answer); `--keep all` keeps every trace (a tiny random model, whose traces never end or
are right, to try the pipeline). At most `--traces_per_problem` traces are kept per row.

Each output row is `{problem column, "messages": [user: problem, assistant: trace]}`: `sft.py` trains on `messages`
and the problem column stays for `scripts/decontaminate.py`. Counts are printed as a table; the command exits 1
when no trace is kept, since an empty dataset would only fail later, inside the trainer.
"""

import argparse
import json
import logging
import os
import sys

from open_r1.rewards import accuracy_reward
from open_r1.utils.data import load_dataset_any


logger = logging.getLogger("traces_to_sft")

GENERATION_COLUMNS = ("generations", "generation")  # generate_reasoning.py, generate.py (distilabel)


def _as_list(value) -> list:
    """A column that holds one trace per generation; a single string (one generation) is a list of one."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def convert(rows, problem_column: str, solution_column: str | None, keep: str, traces_per_problem: int):
    """The kept (problem, trace) rows, and counts of what was dropped and why."""
    counts = {"problems": 0, "traces": 0, "cut_off": 0, "wrong": 0, "unjudged": 0, "over_limit": 0, "kept": 0}
    candidates = []  # (row index, problem, trace, gold)
    for index, row in enumerate(rows):
        counts["problems"] += 1
        column = next((name for name in GENERATION_COLUMNS if name in row), None)
        traces = _as_list(row[column]) if column else []
        reasons = _as_list(row.get("finish_reasons"))
        for position, trace in enumerate(traces):
            counts["traces"] += 1
            if keep != "all" and position < len(reasons) and reasons[position] == "length":
                counts["cut_off"] += 1
                continue
            gold = row.get(solution_column) if solution_column else None
            candidates.append((index, row[problem_column], trace, gold))

    if keep == "correct":
        scores = accuracy_reward([trace for _, _, trace, _ in candidates], solution=[g for *_, g in candidates])
    else:
        scores = [1.0] * len(candidates)
    kept, per_problem = [], {}
    for (index, problem, trace, _), score in zip(candidates, scores):
        if score is None:
            counts["unjudged"] += 1
            continue
        if score < 1.0:
            counts["wrong"] += 1
            continue
        if per_problem.get(index, 0) >= traces_per_problem:
            counts["over_limit"] += 1
            continue
        per_problem[index] = per_problem.get(index, 0) + 1
        kept.append(
            {
                problem_column: problem,
                "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": trace}],
            }
        )
    counts["kept"] = len(kept)
    return kept, counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="Generated traces: hub id, or a local file or folder")
    parser.add_argument("--config", default=None, help="Dataset config")
    parser.add_argument("--split", default="train", help="Split to read")
    parser.add_argument("--problem_column", "--problem-column", default="problem", help="Column with the problem")
    parser.add_argument(
        "--solution_column", "--solution-column", default="solution", help="Column with the gold answer or solution"
    )
    parser.add_argument(
        "--keep",
        choices=["correct", "finished", "all"],
        default="correct",
        help="correct: right and finished traces; finished: every trace that ended on its own; all: every trace",
    )
    parser.add_argument("--traces_per_problem", "--traces-per-problem", type=int, default=1, help="Most kept per row")
    parser.add_argument("--output_file", "--output-file", required=True, help="JSON Lines file to write")
    args = parser.parse_args(argv)
    if args.traces_per_problem < 1:
        parser.error("--traces_per_problem must be at least 1")
    return args


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    dataset = load_dataset_any(args.dataset, args.config, args.split)
    columns = dataset.column_names
    if args.problem_column not in columns:
        raise ValueError(f"{args.dataset} has no column {args.problem_column!r}; its columns are {columns}.")
    if not any(name in columns for name in GENERATION_COLUMNS):
        raise ValueError(
            f"{args.dataset} has none of the trace columns {list(GENERATION_COLUMNS)}; its columns are {columns}. "
            "Generate traces first (src/open_r1/generate.py or scripts/generate_reasoning.py)."
        )
    if args.keep == "correct" and args.solution_column not in columns:
        raise ValueError(
            f"{args.dataset} has no gold column {args.solution_column!r} to check answers against (columns: "
            f"{columns}). Pass --solution_column, or --keep finished to keep every trace unchecked."
        )

    kept, counts = convert(dataset, args.problem_column, args.solution_column, args.keep, args.traces_per_problem)
    print("| problems | traces | cut off | wrong | unjudged | over limit | kept |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("| " + " | ".join(str(counts[k]) for k in counts) + " |")
    if not kept:
        logger.error("No trace was kept: nothing to train on. See the counts above and --keep.")
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.output_file)), exist_ok=True)
    with open(args.output_file, "w", encoding="utf-8") as out:
        for row in kept:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    logger.info("Wrote %d conversations to %s", len(kept), args.output_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
