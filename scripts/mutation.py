"""Mutation testing of the modules where a wrong result silently corrupts training or evaluation (`make mutation`).

mutmut breaks the code on purpose, one plausible bug at a time (a flipped comparison, a changed constant, a dropped
argument), and runs the tests that exercise the changed function: a mutant that no test notices ("survived") is a
bug the suite would let through. Each module is mutated in a throw-away copy of the repository, scoped to its own
tests, so one module's run fits in minutes and modules can be run one at a time:

    make mutation                         # every module, one after the other (hours on 2 cores)
    make mutation MODULE=rewards-math     # one module
    python scripts/mutation.py --list     # the modules, their files and their tests

The table it prints (killed / total per module) is what docs/mutation.md records; `--survivors` lists each
surviving mutant as a diff (mutmut show) so it can be killed by a test or explained as equivalent.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


REPO_ROOT = Path(__file__).resolve().parent.parent

# Module -> (files mutated, tests that must catch the mutants). Only a module's own tests run against its mutants.
MODULES = {
    "rewards-math": (
        ["src/open_r1/rewards/math.py"],
        ["tests/test_rewards.py", "tests/test_answers_need_an_anchor.py", "tests/test_math_reward_signals.py"],
    ),
    "rewards-format": (
        ["src/open_r1/rewards/format.py", "src/open_r1/rewards/common.py"],
        ["tests/test_rewards.py", "tests/test_reward_inputs.py", "tests/test_style_reward_defaults.py"],
    ),
    "rewards-code": (
        ["src/open_r1/rewards/code.py"],
        [
            "tests/test_rewards.py",
            "tests/test_code_reward_end_to_end.py",
            "tests/test_code_reward_options.py",
            "tests/test_competitive_programming.py",
        ],
    ),
    "math-verification": (
        ["src/open_r1/utils/math_verification.py"],
        [
            "tests/test_math_verification.py",
            "tests/test_math_verification_pool.py",
            "tests/test_answers_need_an_anchor.py",
        ],
    ),
    "output-comparison": (
        ["src/open_r1/utils/code_execution/evaluation_script.py"],
        ["tests/test_code_reward_end_to_end.py", "tests/test_evaluation_script_languages.py"],
    ),
    "code-scoring": (
        ["src/open_r1/utils/code_execution/competitive_programming/scoring.py"],
        ["tests/test_competitive_programming.py", "tests/test_competitive_scoring_rules.py"],
    ),
    "data": (
        ["src/open_r1/utils/data.py"],
        [
            "tests/test_data.py",
            "tests/test_mixture_weights.py",
            "tests/test_sft_system_prompt.py",
            "tests/test_dataset_sources.py",
        ],
    ),
    "recipe-parser": (
        ["src/open_r1/utils/recipe_parser.py", "src/open_r1/utils/legacy_options.py"],
        [
            "tests/test_recipe_legacy_names.py",
            "tests/test_legacy_conversions.py",
            "tests/test_open_r1_command_lines.py",
            "tests/test_configs.py",
            "tests/test_recipe_parser_messages.py",
        ],
    ),
    "evaluation-metrics": (
        ["src/open_r1/evaluate.py"],
        ["tests/test_evaluate.py", "tests/test_evaluate_tasks.py"],
    ),
}

# Tests that cannot run under mutmut, and why. mutmut traces every call while it maps tests to functions; math-verify
# called in the test process itself (not in the verifier's workers) then runs past its own internal time limit and
# answers False. These tests check the math-verify library, not the mutated code.
DESELECTED = [
    "tests/test_rewards.py::test_order_case_is_really_asymmetric",
]

# Extra pytest options per module. math-verification's tests wait on verifier worker processes; a mutant that
# breaks a deadline or the shutdown leaves a test waiting without using CPU, which mutmut's CPU-time limit never
# stops, so pytest-timeout fails the test instead: a hang is a noticed bug and counts as killed, like mutmut's own
# timeouts.
EXTRA_PYTEST_ARGS = {
    "math-verification": ["--timeout=90"],
}

# Copied into each throw-away repository: what the tests import or read.
COPIED = ["src", "tests", "recipes", "scripts", "slurm", "pyproject.toml", "setup.py", "Makefile", "README.md", "docs"]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _prepare(workdir: Path, files: list[str], tests: list[str], pytest_args: list[str]) -> None:
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, workdir / name)
    with open(workdir / "pyproject.toml", "a") as file:
        file.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["src/"]\n'
            f"only_mutate = {_toml_list(files)}\n"
            # mutmut runs the tests from its own copy (mutants/); the files they read (README, recipes, scripts)
            # must be there too.
            f"also_copy = {_toml_list([name for name in COPIED if name not in ('src', 'tests', 'pyproject.toml')])}\n"
            f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
            f"pytest_add_cli_args = {_toml_list(pytest_args)}\n"
        )


def run_module(name: str, max_children: int, survivors: bool, keep: str | None = None) -> dict:
    files, tests = MODULES[name]
    workdir = Path(keep) / name if keep else Path(tempfile.mkdtemp(prefix=f"mutation-{name}-"))
    if keep:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
    try:
        pytest_args = [
            "-p",
            "no:cacheprovider",
            *EXTRA_PYTEST_ARGS.get(name, []),
            *(f"--deselect={t}" for t in DESELECTED),
        ]
        _prepare(workdir, files, tests, pytest_args)
        # PYTHON: scripts/evaluate.sh runs `.venv/bin/python` unless told otherwise, and mutmut's copy has no .venv.
        env = {**os.environ, "PYTHONPATH": "src", "PYTHON": sys.executable}
        mutmut = [sys.executable, "-m", "mutmut"]
        print(f"== {name}: mutating {', '.join(files)}; tests {', '.join(tests)}", flush=True)
        run = subprocess.run([*mutmut, "run", "--max-children", str(max_children)], cwd=workdir, env=env)
        if run.returncode != 0:
            raise RuntimeError(f"mutmut run failed for {name} (exit {run.returncode}); see its output above")
        subprocess.run([*mutmut, "export-cicd-stats"], cwd=workdir, env=env, check=True, capture_output=True)
        stats = json.loads((workdir / "mutants" / "mutmut-cicd-stats.json").read_text())
        if survivors:
            results = subprocess.run([*mutmut, "results"], cwd=workdir, env=env, capture_output=True, text=True)
            for line in results.stdout.splitlines():
                mutant, _, status = line.strip().rpartition(": ")
                if status in ("survived", "no tests", "timeout", "suspicious"):
                    shown = subprocess.run(
                        [*mutmut, "show", mutant], cwd=workdir, env=env, capture_output=True, text=True
                    )
                    print(f"--- {status}: {mutant}\n{shown.stdout}", flush=True)
        return stats
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="Run only this module (repeat).")
    parser.add_argument("--list", action="store_true", help="List the modules, their files and tests, and exit.")
    parser.add_argument("--survivors", action="store_true", help="Print each surviving mutant's diff.")
    parser.add_argument("--max-children", type=int, default=2, help="Mutants tested at once (default 2).")
    parser.add_argument("--json", help="Also write the per-module statistics to this JSON file.")
    parser.add_argument(
        "--keep", metavar="DIR", help="Work in DIR/<module> and keep it (to inspect or re-run mutants with mutmut)."
    )
    args = parser.parse_args()
    if args.list:
        for name, (files, tests) in MODULES.items():
            print(f"{name}: {' '.join(files)}  <-  {' '.join(tests)}")
        return
    table = {}
    for name in args.module or list(MODULES):
        table[name] = run_module(name, args.max_children, args.survivors, args.keep)
    # A mutant that makes its tests hang or crash the interpreter was noticed too: it counts as killed.
    print("\n| module | killed | total | survived | no tests | of which timeouts | score |")
    print("|---|---|---|---|---|---|---|")
    for name, stats in table.items():
        total = stats["total"] - stats.get("skipped", 0)
        killed = stats["killed"] + stats.get("timeout", 0) + stats.get("segfault", 0)
        print(
            f"| {name} | {killed} | {total} | {stats['survived']} | {stats.get('no_tests', 0)} | "
            f"{stats.get('timeout', 0)} | {100 * killed / max(total, 1):.1f}% |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
