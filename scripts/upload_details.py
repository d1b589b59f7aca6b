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
"""Pushes the per-sample details of a lighteval run (prompts, generations, scores) to a hub dataset.

    python scripts/upload_details.py --data-files data/evals/<model>/details/**/details_*.parquet \\
        --hub-repo-id <org>/details-<model> --config-name aime24

lighteval writes the details with `--save-details` (`make evaluate` always does) as parquet files, one per task;
JSON and JSON Lines files are accepted too. Use --dry-run to check what would be pushed without a hub account.
"""

import argparse
import sys

from datasets import DatasetDict, load_dataset


def load_details(data_files: list[str]) -> DatasetDict:
    """The files as one dataset; they must all be parquet, or all JSON / JSON Lines."""
    if not data_files:
        raise ValueError("No --data-files given.")
    if all(file.endswith((".json", ".jsonl")) for file in data_files):
        return load_dataset("json", data_files=data_files)
    if all(file.endswith(".parquet") for file in data_files):
        return load_dataset("parquet", data_files=data_files)
    raise ValueError(f"--data-files must be all .parquet or all .json/.jsonl, got {data_files}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-files", nargs="+", required=True, help="lighteval details files.")
    parser.add_argument("--hub-repo-id", required=True, help="Dataset repository to push to, e.g. org/details.")
    parser.add_argument("--config-name", default="default", help="Dataset config (subset), e.g. the task's name.")
    parser.add_argument("--public", action="store_true", help="Create the repository public (default private).")
    parser.add_argument("--dry-run", action="store_true", help="Load and describe the details; push nothing.")
    args = parser.parse_args(argv)

    try:
        details = load_details(args.data_files)
    except ValueError as error:
        parser.error(str(error))
    rows = sum(split.num_rows for split in details.values())
    print(f"{rows} rows from {len(args.data_files)} file(s) -> {args.hub_repo_id} (config {args.config_name})")
    if args.dry_run:
        return 0
    url = details.push_to_hub(args.hub_repo_id, config_name=args.config_name, private=not args.public)
    print(f"Dataset available at: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
