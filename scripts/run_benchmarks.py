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
"""Submits Slurm jobs that evaluate a hub model on open-r1's benchmarks, one job per benchmark.

    python scripts/run_benchmarks.py --model-id deepseek-ai/DeepSeek-R1-Distill-Qwen-7B --benchmarks aime24,math_500
    python scripts/run_benchmarks.py --list-benchmarks

The same jobs a training run submits after each pushed checkpoint (recipe option `benchmarks`); each runs
slurm/evaluate.slurm, which writes its results under data/evals/<model>/<revision>/<benchmark>.
"""

import argparse
import sys
from types import SimpleNamespace

from open_r1.utils.evaluation import SUPPORTED_BENCHMARKS, is_slurm_available, resolve_benchmarks, run_benchmark_jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-id", help="Hub id of the model to evaluate.")
    parser.add_argument("--model-revision", default="main", help="Hub branch, e.g. a checkpoint's v00.00-step-000100.")
    parser.add_argument(
        "--benchmarks", default="all", help=f"Comma-separated: {', '.join(SUPPORTED_BENCHMARKS)}, all."
    )
    parser.add_argument("--trust-remote-code", action="store_true", help="Let vLLM run the model repo's own code.")
    parser.add_argument("--system-prompt", default=None, help="System message for every problem (as in training).")
    parser.add_argument("--list-benchmarks", action="store_true", help="Print the benchmark names and exit.")
    args = parser.parse_args(argv)

    if args.list_benchmarks:
        print("\n".join(SUPPORTED_BENCHMARKS))
        return 0
    if not args.model_id:
        parser.error("--model-id is required.")
    try:
        benchmarks = resolve_benchmarks(args.benchmarks)
    except ValueError as error:
        parser.error(str(error))
    if not is_slurm_available():
        parser.error("sbatch not found: run this on a Slurm login node (or use `make evaluate` on this machine).")
    training_args = SimpleNamespace(
        benchmarks=benchmarks,
        hub_model_id=args.model_id,
        hub_model_revision=args.model_revision,
        system_prompt=args.system_prompt,
    )
    run_benchmark_jobs(training_args, SimpleNamespace(trust_remote_code=args.trust_remote_code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
