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
"""The evaluation script of the `code` rewards: runs a program on each test case and reports the pass rate.

Remote sandboxes (E2B, Morph) run its text; the local sandbox judges natively from what it carries and compares
outputs with `outputs_match`, the same rule as the script's.
"""

import ast
import json


# How the evaluation script runs the extracted program, per language (compiled languages need a judge: ioi/cf).
_INTERPRETERS = {
    "python": ["python3", "-c"],
    "javascript": ["node", "-e"],
    "r": ["Rscript", "-e"],
    "bash": ["bash", "-c"],
}

_EVALUATION_SCRIPT = """\
import ast
import json
import subprocess


def evaluate_code(code, test_cases):
    passed = 0
    for case in test_cases:
        try:
            process = subprocess.run(
                {command} + [code], input=case["input"], text=True, capture_output=True, timeout=5
            )
        except subprocess.TimeoutExpired:
            continue
        if process.returncode != 0:
            continue
        # Line by line, ignoring surrounding whitespace and trailing blank lines; every expected line must match.
        output = process.stdout.strip().splitlines()
        expected = case["output"].strip().splitlines()
        if len(output) == len(expected) and all(a.strip() == b.strip() for a, b in zip(output, expected)):
            passed += 1
    return passed / len(test_cases)


code_snippet = {code}
test_cases = json.loads({test_cases})
rate = evaluate_code(code_snippet, test_cases)
print(rate)
rate
"""


def outputs_match(output: str, expected: str) -> bool:
    """The evaluation script's rule, for backends that judge natively: line by line, ignoring surrounding
    whitespace and trailing blank lines; every expected line must match."""
    lines, expected_lines = output.strip().splitlines(), expected.strip().splitlines()
    return len(lines) == len(expected_lines) and all(a.strip() == b.strip() for a, b in zip(lines, expected_lines))


class EvaluationScript(str):
    """The text of an evaluation script, plus what it evaluates (`code`, `test_cases`, `language`, `command`).

    Remote sandboxes run the text. The local sandbox judges natively instead: it runs the program alone on each
    test case and compares outputs itself, so a program cannot tamper with a harness sharing its sandbox (print a
    fake pass rate into the harness's output, kill it, ...).
    """

    code: str
    test_cases: list[dict[str, str]]
    language: str
    command: list[str]


def code_evaluation_script(code: str, test_cases: list[dict[str, str]], language: str = "python") -> str:
    """A Python script that runs `code` on each test case and reports the pass rate, both as its last expression
    (Jupyter-style sandboxes such as E2B) and as the last line of stdout (plain interpreters). The returned string
    is an `EvaluationScript`, which also carries the code and test cases."""
    if language not in _INTERPRETERS:
        raise ValueError(
            f"The code reward runs {sorted(_INTERPRETERS)} programs; {language!r} needs a judge "
            "(use ioi_code or cf_code)."
        )
    if not test_cases:
        raise ValueError("verification_info has no test_cases: there is nothing to run the program against.")
    script = EvaluationScript(
        _EVALUATION_SCRIPT.format(
            command=json.dumps(_INTERPRETERS[language]),
            code=json.dumps(code),
            test_cases=json.dumps(json.dumps(test_cases)),
        )
    )
    script.code, script.test_cases, script.language = code, list(test_cases), language
    script.command = list(_INTERPRETERS[language])
    return script


def parse_evaluation_script(text: str) -> "EvaluationScript | None":
    """The program and test cases of an evaluation script that arrives as text alone (open-r1's clients send only the
    script to a router), so the local sandbox judges it natively too: open-r1's template and this project's both
    assign `code_snippet = "<code>"` and `test_cases = json.loads("<json>")` at module level next to a function
    `evaluate_code`, and run the program with an interpreter list (`["python3", "-c", ...]`, `["node", "-e"]`, ...).
    None for any other script: it is run whole, as a remote sandbox would.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    code = cases = None
    defines_evaluate = False
    for node in tree.body:
        defines_evaluate |= isinstance(node, ast.FunctionDef) and node.name == "evaluate_code"
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name, value = node.targets[0].id, node.value
        if name == "code_snippet" and isinstance(value, ast.Constant) and isinstance(value.value, str):
            code = value.value
        if name == "test_cases" and isinstance(value, ast.Call) and ast.unparse(value.func) == "json.loads":
            if (
                len(value.args) == 1
                and isinstance(value.args[0], ast.Constant)
                and isinstance(value.args[0].value, str)
            ):
                try:
                    cases = json.loads(value.args[0].value)
                except ValueError:
                    return None
    valid_cases = isinstance(cases, list) and cases and all(isinstance(c, dict) and "input" in c for c in cases)
    if not (defines_evaluate and code is not None and valid_cases):
        return None
    language = "python"
    for node in ast.walk(tree):  # the interpreter the script runs the program with
        if isinstance(node, ast.List) and len(node.elts) >= 2:
            words = [e.value for e in node.elts[:2] if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for candidate, command in _INTERPRETERS.items():
                if words == command or (words[:1] == ["python"] and command[0] == "python3" and words[1:] == ["-c"]):
                    language = candidate
    return code_evaluation_script(code, cases, language)
