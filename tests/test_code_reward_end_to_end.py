"""The code reward, end to end on this machine's sandbox: a program earns a test case only by printing exactly the
expected lines and then exiting cleanly within its time limit.

Each case goes the way a training step goes: a completion with a ```python block and a `verification_info` row go
into the registry's `code` reward with `code_provider: local`; the program really runs. The traps are the ones a
policy finds: print the answer then crash, print the answer then never stop, print too few or too many lines (open-r1
compared outputs with `zip`, so a program printing only the first expected line passed).
"""

import json
import subprocess
import sys

import pytest

from open_r1.configs import GRPOScriptArguments
from open_r1.rewards import binary_code_reward, get_reward_funcs
from open_r1.utils.code_execution.evaluation_script import code_evaluation_script


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the local sandbox runs on Linux")

# Two numbers in, their sum and their product out, one per line.
TESTS = [{"input": "2 3\n", "output": "5\n6\n"}, {"input": "4 5\n", "output": "9\n20\n"}]
INFO = {"language": "python", "test_cases": TESTS}
RIGHT = "a, b = map(int, input().split())\nprint(a + b)\nprint(a * b)\n"

PROGRAMS = {
    "right": (RIGHT, 1.0),
    # Whitespace around lines and trailing blank lines do not matter: judges compare lines, not bytes.
    "right, with loose whitespace": (RIGHT.replace("print(a * b)", "print(' ', a * b, '  ')\nprint()\nprint()"), 1.0),
    "right output, then a crash": (RIGHT + "raise RuntimeError('after the answer')\n", 0.0),
    "right output, then exit status 3": (RIGHT + "import sys\nsys.exit(3)\n", 0.0),
    "right output, then an endless loop": (RIGHT + "import sys\nsys.stdout.flush()\nwhile True:\n    pass\n", 0.0),
    "right output, then sleeping forever": (RIGHT + "import sys, time\nsys.stdout.flush()\ntime.sleep(3600)\n", 0.0),
    "only the first line": ("a, b = map(int, input().split())\nprint(a + b)\n", 0.0),
    "one line too many": (RIGHT + "print(0)\n", 0.0),
    "both numbers on one line": ("a, b = map(int, input().split())\nprint(a + b, a * b)\n", 0.0),
    "right on the first test only": ("a, b = map(int, input().split())\nprint(a + b)\nprint(6)\n", 0.5),
}


def _completion(code: str) -> str:
    return f"<think>\nadd and multiply\n</think>\n<answer>\n```python\n{code}```\n</answer>"


@pytest.fixture(scope="module")
def code_reward_of_a_recipe():
    """The `code` reward as a recipe builds it: code_provider local, a 2 s limit per test case."""
    args = GRPOScriptArguments(
        dataset_name="unused.jsonl", reward_funcs=["code"], code_provider="local", code_timeout_s=2.0
    )
    (reward,) = get_reward_funcs(args)
    return reward


def test_a_test_case_is_passed_only_by_the_right_lines_and_a_clean_exit(code_reward_of_a_recipe):
    names = list(PROGRAMS)
    completions = [_completion(PROGRAMS[name][0]) for name in names]
    rewards = code_reward_of_a_recipe(completions=completions, verification_info=[INFO] * len(names))
    assert dict(zip(names, rewards)) == {name: PROGRAMS[name][1] for name in names}


def test_binary_code_reward_needs_every_test_case(code_reward_of_a_recipe):
    codes = [
        PROGRAMS["right"][0],
        PROGRAMS["right on the first test only"][0],
        PROGRAMS["right output, then a crash"][0],
    ]
    rewards = binary_code_reward(
        [_completion(code) for code in codes],
        provider_type="local",
        timeout_s=2.0,
        verification_info=[json.dumps(INFO)] * 3,  # CSV/JSON exports store the row as a JSON string
    )
    assert rewards == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "name",
    [
        "right",
        "right output, then a crash",
        "only the first line",
        "one line too many",
        "right on the first test only",
    ],
)
def test_the_script_a_remote_sandbox_runs_reports_the_same_score(name):
    # E2B, Morph and the routers run the evaluation script's text with a plain interpreter and read its last line.
    code, expected = PROGRAMS[name]
    script = code_evaluation_script(code, TESTS)
    result = subprocess.run([sys.executable, "-c", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) == expected
