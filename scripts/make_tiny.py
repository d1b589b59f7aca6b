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
"""Builds the tiny world (tokenizer, ~1M-parameter Qwen2, synthetic datasets) used by tests and CPU recipes."""

import argparse
import time

from open_r1.utils.synthetic.tiny_world import build_tiny_world


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--output-dir", default="data/tiny", help="Folder to write model/, sft.jsonl and grpo.jsonl to."
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the data and of the model's random weights.")
    args = parser.parse_args()
    start = time.perf_counter()
    build_tiny_world(args.output_dir, seed=args.seed)
    print(f"Tiny world written to {args.output_dir} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
