"""Judge the same math-answer cases with whichever math-verify this interpreter has, and compare two such runs.

Issue 26, item 2: is a newer math-verify (with the latex2sympy2-extended it needs) more correct than our pinned
0.5.2, and no slower, with open-r1's parsing options? This script imports only math_verify and latex2sympy2_extended
(never open_r1 or torch), so it runs unchanged in a throwaway venv with another version:

    /tmp/mv_new/bin/python scripts/compare_math_verify_versions.py run --cases docs/verifier_cases --output new.json
    .venv/bin/python scripts/compare_math_verify_versions.py run --cases docs/verifier_cases --output old.json
    python scripts/compare_math_verify_versions.py compare old.json new.json     # markdown to stdout

`run` reads every `*.jsonl` in --cases (one case a line: id, gold, answer, expected 1/0/null, source) and builds two
more sets from the shipped MATH-500 copy (--math500): gold-vs-gold (the row's `solution` is the gold, its `answer`
column boxed is the completion: expected 1) and gold-vs-perturbed (the first numeral of `answer` plus one, or `+ 1`
appended when it has none: expected 0). `extract` rebuilds the committed Math-Verify and open-r1 case files from
their git repositories (see docs/verifier_versions.md for the commits).

Each case is judged as src/open_r1/utils/math_verification.py judges it (open-r1's accuracy_reward): the gold parsed
with math-verify's defaults, the answer from boxed/LaTeX only with open-r1's normalization, verify(gold, answer);
None when the gold does not parse, 0 when math-verify raises.
"""

import argparse
import ast
import importlib.util
import json
import logging
import platform
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
MATH500 = ROOT / "src" / "open_r1" / "benchmark_data" / "math500.jsonl"
MATH_VERIFICATION = ROOT / "src" / "open_r1" / "utils" / "math_verification.py"


# ------------------------------------------------------------------------------------------------------------- judge


def open_r1_judge():
    """(gold, answer) -> 1.0 / 0.0 / None, with the parsers of open-r1's accuracy_reward: those of our worker itself,
    src/open_r1/utils/math_verification.py, loaded by path (it imports only the standard library at module level, so
    it loads in a venv that has math-verify and neither open_r1 nor torch)."""
    spec = importlib.util.spec_from_file_location("math_verification", MATH_VERIFICATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parse_gold, parse_answer, verify = module._open_r1_parsers()

    def judge(gold: str, answer: str) -> float | None:
        try:
            gold_parsed = parse_gold(gold)
        except Exception:
            gold_parsed = []
        if not gold_parsed:
            return None
        try:
            return float(verify(gold_parsed, parse_answer(answer)))
        except Exception:
            return 0.0

    return judge


def math_verify_harness_judge():
    """(gold, answer, harness) -> 1.0 / 0.0: Math-Verify's own tests' parsing, to compare with their expected verdicts.

    "latex": tests/test_all.py's compare_strings with match_types ["latex"] (both sides LatexExtractionConfig with
    boxed_match_priority=0); "default": parse() with its defaults on both sides (tests/test_yujianll.py)."""
    from math_verify import LatexExtractionConfig, parse, verify

    latex = [LatexExtractionConfig(boxed_match_priority=0)]

    def judge(gold: str, answer: str, harness: str) -> float:
        try:
            if harness == "latex":
                return float(verify(parse(gold, latex), parse(answer, latex)))
            return float(verify(parse(gold), parse(answer)))
        except Exception:
            return 0.0

    return judge


# ------------------------------------------------------------------------------------------------------- case sets


def perturb(answer: str) -> tuple[str, str]:
    """A surely-wrong variant of a MATH-500 answer, and how it was made."""
    match = re.search(r"\d+", answer)
    if match:
        bumped = str(int(match.group()) + 1)
        return answer[: match.start()] + bumped + answer[match.end() :], f"first numeral {match.group()} -> {bumped}"
    return answer + " + 1", "no numeral: + 1 appended"


def math500_cases(path: Path) -> dict[str, list[dict]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    same, perturbed = [], []
    for i, row in enumerate(rows):
        source = f"{path.name} row {i} ({row['unique_id']})"
        same.append(
            {
                "id": f"math500-gold-{i}",
                "gold": row["solution"],
                "answer": f"\\boxed{{{row['answer']}}}",
                "expected": 1,
            }
            | {"source": source}
        )
        wrong, how = perturb(row["answer"])
        perturbed.append(
            {"id": f"math500-perturbed-{i}", "gold": row["solution"], "answer": f"\\boxed{{{wrong}}}", "expected": 0}
            | {"source": source, "note": how}
        )
    return {"math500_gold_vs_gold": same, "math500_gold_vs_perturbed": perturbed}


def load_cases(cases_dir: Path, math500: Path) -> dict[str, list[dict]]:
    sets = {
        p.stem: [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
        for p in sorted(cases_dir.glob("*.jsonl"))
    }
    sets.update(math500_cases(math500))
    return sets


def run(args) -> None:
    # latex2sympy2_extended >= 1.10 warns on every parse that open-r1's equations=True is deprecated; count it once.
    logging.getLogger("latex2sympy2_extended.math_normalization").addFilter(_Deprecations())
    judge, harness_judge = open_r1_judge(), math_verify_harness_judge()
    judge("$1$", "\\boxed{1}")  # warm-up: imports and antlr's first parse are not any case's time
    harness_judge("$1$", "$1$", "latex")
    sets = load_cases(Path(args.cases), Path(args.math500))
    if "math_verify_tests" in sets:
        sets["math_verify_tests_own_harness"] = sets["math_verify_tests"]
    results = {}
    for name, cases in sets.items():
        out = []
        for case in cases:
            start = time.perf_counter()
            if name == "math_verify_tests_own_harness":
                verdict = harness_judge(case["gold"], case["answer"], case["harness"])
            else:
                verdict = judge(case["gold"], case["answer"])
            seconds = time.perf_counter() - start
            out.append({"id": case["id"], "verdict": verdict, "expected": case["expected"], "seconds": seconds})
        results[name] = out
        agreed = sum(r["verdict"] == r["expected"] for r in out)
        print(f"{name}: {agreed}/{len(out)} agree, {sum(r['seconds'] for r in out):.1f} s", file=sys.stderr)
    versions = {
        p: metadata.version(p) for p in ("math-verify", "latex2sympy2_extended", "sympy", "antlr4-python3-runtime")
    }
    if _Deprecations.seen:
        print(f"latex2sympy2_extended warned {_Deprecations.seen} times: {_Deprecations.message}", file=sys.stderr)
    report = {"deprecation_warnings": _Deprecations.seen, "deprecation_message": _Deprecations.message}
    report |= {"versions": versions, "python": platform.python_version(), "results": results}
    Path(args.output).write_text(json.dumps(report, indent=1) + "\n")


class _Deprecations(logging.Filter):
    seen, message = 0, ""

    def filter(self, record: logging.LogRecord) -> bool:
        if "deprecated" in record.getMessage():
            _Deprecations.seen += 1
            _Deprecations.message = record.getMessage()
            return False
        return True


# --------------------------------------------------------------------------------------------------------- compare


def compare(args) -> None:
    runs = [json.loads(Path(p).read_text()) for p in args.runs]
    cases = load_cases(Path(args.cases), Path(args.math500))
    label = [f"math-verify {r['versions']['math-verify']}" for r in runs]
    lines = ["| case set | cases | " + " | ".join(f"{x}: agreed" for x in label) + " |"]
    lines.append("| --- | --- |" + " --- |" * len(runs))
    for name in runs[0]["results"]:
        total = len(runs[0]["results"][name])
        agreed = [sum(r["verdict"] == r["expected"] for r in run["results"][name]) for run in runs]
        lines.append(f"| {name} | {total} | " + " | ".join(f"{a}/{total}" for a in agreed) + " |")
    lines += ["", "| run | median ms/case | total s | slowest case (s) |", "| --- | --- | --- | --- |"]
    for x, run in zip(label, runs):
        times = [r["seconds"] for rs in run["results"].values() for r in rs]
        slowest = max((r for rs in run["results"].values() for r in rs), key=lambda r: r["seconds"])
        lines.append(
            f"| {x} (latex2sympy2_extended {run['versions']['latex2sympy2_extended']}) | "
            f"{1000 * statistics.median(times):.2f} | {sum(times):.1f} | {slowest['id']} ({slowest['seconds']:.2f}) |"
        )
    lines += ["", "Cases whose verdicts differ between the runs (expected: the case's verdict):", ""]
    lines.append("| case | gold | answer | expected | " + " | ".join(label) + " |")
    lines.append("| --- | --- | --- | --- |" + " --- |" * len(runs))
    by_id = {c["id"]: c for cs in cases.values() for c in cs}
    for name in runs[0]["results"]:
        for i, first in enumerate(runs[0]["results"][name]):
            verdicts = [run["results"][name][i]["verdict"] for run in runs]
            if len(set(verdicts)) > 1:
                case = by_id[first["id"]]
                cells = [_cell(case["gold"]), _cell(case["answer"]), str(case["expected"])]
                lines.append(f"| {name}: {case['id']} | " + " | ".join(cells + [str(v) for v in verdicts]) + " |")
    if args.wrong:
        lines += ["", "Cases some run gets wrong (verdict differs from expected):", ""]
        lines.append("| case | gold | answer | expected | " + " | ".join(label) + " |")
        lines.append("| --- | --- | --- | --- |" + " --- |" * len(runs))
        for name in runs[0]["results"]:
            for i, first in enumerate(runs[0]["results"][name]):
                verdicts = [run["results"][name][i]["verdict"] for run in runs]
                if any(v != first["expected"] for v in verdicts):
                    case = by_id[first["id"]]
                    cells = [_cell(case["gold"]), _cell(case["answer"]), str(case["expected"])]
                    lines.append(f"| {name}: {case['id']} | " + " | ".join(cells + [str(v) for v in verdicts]) + " |")
    print("\n".join(lines))


def _cell(text: str, width: int = 70) -> str:
    text = text if len(text) <= width else "..." + text[-width:]
    return "`" + text.replace("|", "\\|").replace("\n", " ").replace("`", "'") + "`"


# --------------------------------------------------------------------------------------------------------- extract


def _show(git_dir: str, rev: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", git_dir, "show", f"{rev}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def _parametrized(source: str):
    """(function name, argument names, [tuple of literals]) for every @pytest.mark.parametrize in a test file."""
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize":
                names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
                rows = []
                for elt in deco.args[1].elts:
                    try:
                        rows.append(dict(zip(names, ast.literal_eval(elt))) | {"line": elt.lineno})
                    except ValueError:
                        pass
                call = ast.get_source_segment(source, node.body[-1]) or ""
                types = re.search(r"match_types=(\[[^\]]*\])", call)
                yield node.name, (ast.literal_eval(types.group(1)) if types else None), rows


def extract(args) -> None:
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "-C", args.math_verify_git, "rev-parse", f"{args.math_verify_rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    cases = []
    files = ["tests/test_all.py", "tests/test_boxed.py", "tests/test_numina_cases.py", "tests/test_open_thoughts.py"]
    files.append("tests/test_yujianll.py")
    for path in files:
        for func, types, rows in _parametrized(_show(args.math_verify_git, commit, path)):
            for row in rows:
                expected = row.get("expected", row.get("result"))
                if row.get("precision", 6) != 6 or row.get("allow_set_relation_comp", False):
                    continue  # open-r1 verifies with the defaults (6 digits, no set/relation comparison)
                if "gold" not in row or "pred" not in row:
                    continue
                # Pure LaTeX: the test reads both sides as LaTeX only (match_types ["latex"] or parse()'s defaults
                # on $-delimited text), as open-r1's answer parser does; number/expression-only cases are left out.
                latex_only = types == ["latex"] or (types is None and "$" in row["gold"] and "$" in row["pred"])
                if not latex_only:
                    continue
                cases.append(
                    {"id": f"mv-{Path(path).stem}-{func}-L{row['line']}", "gold": row["gold"], "answer": row["pred"]}
                    | {"harness": "latex" if types == ["latex"] else "default", "expected": int(expected)}
                    | {"source": f"huggingface/Math-Verify@{commit[:12]}:{path}:{row['line']}"}
                )
    _write(out_dir / "math_verify_tests.jsonl", cases)
    print(f"math_verify_tests: {len(cases)} cases from {commit}", file=sys.stderr)


def _write(path: Path, cases: list[dict]) -> None:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("run", help="judge every case with this interpreter's math-verify")
    p.add_argument("--cases", default=str(ROOT / "docs" / "verifier_cases"))
    p.add_argument("--math500", default=str(MATH500))
    p.add_argument("--output", required=True)
    p.set_defaults(func=run)
    p = sub.add_parser("compare", help="a markdown table of two or more `run` outputs")
    p.add_argument("runs", nargs="+")
    p.add_argument("--cases", default=str(ROOT / "docs" / "verifier_cases"))
    p.add_argument("--math500", default=str(MATH500))
    p.add_argument("--wrong", action="store_true", help="also list every case some run gets wrong")
    p.set_defaults(func=compare)
    p = sub.add_parser("extract", help="rebuild math_verify_tests.jsonl from Math-Verify's git repository")
    p.add_argument("--math-verify-git", required=True)
    p.add_argument("--math-verify-rev", default="0.8.0")
    p.add_argument("--output-dir", default=str(ROOT / "docs" / "verifier_cases"))
    p.set_defaults(func=extract)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
