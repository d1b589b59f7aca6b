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
"""The demo's spread: `make demo` over several seeds, each with the CPU's native kernels and with torch's unvectorised
ones, to measure how much the numbers move when the floating-point path changes (what another CPU does).

    python scripts/demo_spread.py --seeds 0 1 2 3 4 --parallel 2 --output docs/demo/reference_runs.json

`ATEN_CPU_CAPABILITY=default` makes torch use its unvectorised CPU kernels: on an AVX2/AVX-512 machine that alone
changes the tiny model's trained weights, so it stands in for a CPU with another vector width. Each run uses one
thread (`OMP_NUM_THREADS=1`, which does not change the numbers) so that `--parallel` runs share the cores fairly.
The output is what the README's demo table and `make demo`'s closing comparison are built from.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every kernel family torch can be forced to (as far as the CPU supports it; `native` is what it picks unforced).
# Each run records the capability it actually ran on (metrics.json's cpu_capability).
KERNELS = {"native": {}, **{name: {"ATEN_CPU_CAPABILITY": name} for name in ("default", "avx2", "avx512")}}


def cpu_name() -> str:
    """The CPU's model name (Linux), for the record of where the numbers were measured."""
    try:
        with open("/proc/cpuinfo") as file:
            return next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def run_demo(seed: int, kernels: str, work_dir: str, reuse: bool) -> dict:
    output_dir = os.path.join(work_dir, f"seed{seed}-{kernels}")
    metrics_path = os.path.join(output_dir, "metrics.json")
    if not (reuse and os.path.exists(metrics_path)):
        env = {**os.environ, "OMP_NUM_THREADS": "1", **KERNELS[kernels]}
        command = [sys.executable, os.path.join(REPO_ROOT, "scripts", "demo.py"), "--seed", str(seed),
                   "--output-dir", output_dir]  # fmt: skip
        with open(f"{output_dir}.log", "w") as log:
            result = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise RuntimeError(f"the demo failed for seed {seed} with {kernels} kernels; see {output_dir}.log")
    with open(metrics_path) as file:
        metrics = json.load(file)
    metrics.pop("grpo_careful_share_per_step", None)
    print(f"seed {seed}, {kernels} kernels: {'all checks hold' if all(metrics['checks'].values()) else 'MISSED'}")
    return {"kernels": kernels, **metrics}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--kernels", nargs="+", choices=sorted(KERNELS), default=["native", "default"])
    parser.add_argument("--parallel", type=int, default=2, help="Demo runs at once (one core each).")
    parser.add_argument("--work-dir", default="data/demo_spread", help="Where each run's outputs and log go.")
    parser.add_argument("--output", default="data/demo_spread/reference_runs.json")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the runs whose metrics.json is already in --work-dir (a resumed spread).",
    )
    args = parser.parse_args()

    os.makedirs(args.work_dir, exist_ok=True)
    jobs = [(seed, kernels) for seed in args.seeds for kernels in args.kernels]
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        runs = list(pool.map(lambda job: run_demo(*job, args.work_dir, args.reuse), jobs))
    reference = {
        "measured": f"{datetime.date.today().isoformat()}, {platform.machine()} {cpu_name()}, {os.cpu_count()} cores",
        "runs": runs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as file:
        json.dump(reference, file, indent=2)
    missed = [f"seed {r['seed']} ({r['kernels']})" for r in runs if not all(r["checks"].values())]
    print(f"{len(runs)} runs written to {args.output}; " + (f"MISSED: {', '.join(missed)}" if missed else "all hold"))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
