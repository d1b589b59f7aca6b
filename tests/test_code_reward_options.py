"""The code rewards' options as a recipe sets them (or leaves them unset), reaching the judge or the sandbox.

The judging itself is replaced at the reward module's one door to each backend (`score_submissions`,
`execute_scripts`), as the module's docstring says tests do; what is checked is what the reward sends through it:
the code to run (patched, with the IOI headers), the options with open-r1's defaults, and the rows' languages.
"""

from types import SimpleNamespace

import pytest

from open_r1 import rewards
from open_r1.rewards import (
    add_ioi_includes,
    binary_code_reward,
    cf_code_reward,
    cf_score,
    code_reward,
    get_code_format_reward,
    ioi_code_reward,
)


PY = "<think>\nx\n</think>\n<answer>\n```python\nprint(int(input()) * 2)\n```\n</answer>"
JS = "<think>\nx\n</think>\n<answer>\n```javascript\nconsole.log(2 * Number(require('fs').readFileSync(0)))\n```\n</answer>"
CASES = [{"input": "3", "output": "6"}]
PY_INFO, JS_INFO = {"language": "python", "test_cases": CASES}, {"language": "javascript", "test_cases": CASES}


@pytest.fixture
def judge(monkeypatch):
    """The competitive-programming judge's door: records what it is sent, scores every submission 1.0."""
    seen = {}

    def score_submissions(benchmark, problems, codes, provider_type, **options):
        seen.update(benchmark=benchmark, problems=problems, codes=codes, provider=provider_type, options=options)
        return [1.0] * len(codes)

    monkeypatch.setattr(rewards.code, "score_submissions", score_submissions)
    return seen


@pytest.fixture
def sandbox(monkeypatch):
    """The sandbox's door: records each call, every script passes."""
    record = SimpleNamespace(calls=[], programs=[], runners=[])

    def execute_scripts(scripts, languages, provider_type, num_parallel=2, **provider_kwargs):
        record.calls.append(
            {"n": len(scripts), "provider": provider_type, "num_parallel": num_parallel, **provider_kwargs}
        )
        # What each script runs, and how: the evaluation script is Python whatever language the program is in.
        record.programs.append([(script.language, script.code) for script in scripts])
        record.runners.append(languages)
        return [1.0] * len(scripts)

    monkeypatch.setattr(rewards.code, "execute_scripts", execute_scripts)
    return record


def test_the_ioi_header_std_and_the_namespace_are_added_only_where_missing():
    body = "int add(int a, int b) { return a + b; }"
    assert add_ioi_includes(body, "adder") == (
        '#include <bits/stdc++.h>\n#include "adder.h"\n\nusing namespace std;\n\n' + body
    )
    complete = '#include <bits/stdc++.h>\n#include "adder.h"\nusing namespace std;\n' + body
    assert add_ioi_includes(complete, "adder") == complete
    # Code that qualifies std:: itself gets no `using namespace std;`, which could clash with its own names.
    qualified = "#include <vector>\nstd::vector<int> v;"
    assert add_ioi_includes(qualified, "adder") == '#include <bits/stdc++.h>\n#include "adder.h"\n' + qualified
    assert add_ioi_includes("", "adder") == ""


def test_ioi_and_codeforces_defaults_are_open_r1s(judge):
    ioi_code_reward(["```cpp\nint add(int a, int b) { return a + b; }\n```"], id=["adder"], subtask=["01"])
    assert judge["provider"] == "piston" and judge["options"] == {"test_batch_size": 1}
    with pytest.raises(ValueError) as error:
        ioi_code_reward(["```cpp\nint main() {}\n```"] * 2, id=["adder", None], subtask=["01", "02"])
    assert str(error.value) == (
        "ioi_code_reward needs the IOI problem's `id` in every row (its grader header is `<id>.h`)."
    )
    cf_code_reward(["```cpp\nint main() {}\n```"], official_tests=[CASES])
    assert judge["problems"] == [{"official_tests": CASES}]
    assert judge["provider"] == "piston"
    assert judge["options"] == {"test_batch_size": 1, "scoring_mode": "weighted_sum"}
    assert judge["codes"] == ["int main() {}\n"]


def test_codeforces_python_2_submissions_are_patched_only_when_asked(judge):
    py2 = "```python\nprint sum(map(int, raw_input().split()))\n```"
    cpp = "```cpp\nint main() {}\n```"
    rows = {"official_tests": [CASES, CASES], "language": ["python", None]}
    cf_code_reward([py2, cpp], **rows)
    assert judge["codes"] == ["print sum(map(int, raw_input().split()))\n", "int main() {}\n"]
    cf_code_reward([py2, cpp], patch_code=True, scoring_mode="pass_fail", **rows)
    assert [code.strip() for code in judge["codes"]] == ["print(sum(map(int, input().split())))", "int main() {}"]
    assert judge["options"]["scoring_mode"] == "pass_fail"


def test_rows_may_mix_languages_unless_the_recipe_forbids_it(sandbox):
    assert code_reward([PY, JS], verification_info=[PY_INFO, JS_INFO], provider_type="local") == [1.0, 1.0]
    assert sandbox.programs[-1] == [
        ("python", "print(int(input()) * 2)\n"),
        ("javascript", "console.log(2 * Number(require('fs').readFileSync(0)))\n"),
    ]
    assert sandbox.runners[-1] == ["python", "python"]
    same = code_reward(
        [PY, PY], verification_info=[PY_INFO, PY_INFO], provider_type="local", enforce_same_language=True
    )
    assert same == [1.0, 1.0]
    assert binary_code_reward([PY, JS], verification_info=[PY_INFO, JS_INFO], provider_type="local") == [1.0, 1.0]
    with pytest.raises(ValueError, match="mixes languages"):
        binary_code_reward([PY, JS], verification_info=[PY_INFO, JS_INFO], enforce_same_language=True)


def test_the_binary_code_reward_passes_its_options_on(sandbox):
    binary_code_reward([PY], verification_info=[PY_INFO], provider_type="local")
    binary_code_reward([PY], verification_info=[PY_INFO], provider_type="local", num_parallel=6, timeout_s=3)
    assert sandbox.calls == [
        {"n": 1, "provider": "local", "num_parallel": 2},
        {"n": 1, "provider": "local", "num_parallel": 6, "timeout_s": 3},
    ]


def test_the_binary_code_reward_runs_on_e2b_unless_told_otherwise():
    with pytest.raises(NotImplementedError, match="'e2b'"):
        binary_code_reward([PY], verification_info=[PY_INFO])


def test_the_code_format_reward_factory_defaults_to_python_and_passes_think_prefilled():
    assert get_code_format_reward()([PY]) == [1.0]
    # A completion that starts inside the think block is well formed only when the template prefilled `<think>`.
    assert get_code_format_reward()([PY.removeprefix("<think>\n")]) == [0.0]
    assert get_code_format_reward(think_prefilled=True)([PY.removeprefix("<think>\n")]) == [1.0]


def test_the_sandbox_limits_of_a_recipe_reach_the_local_sandbox():
    # The real local sandbox: a program slower than the recipe's timeout_s fails its test case.
    slow = "<answer>\n```python\nimport time\ntime.sleep(3)\nprint(6)\n```\n</answer>"
    info = {"language": "python", "test_cases": [{"input": "", "output": "6"}]}
    assert code_reward([slow], verification_info=[info], provider_type="local", timeout_s=0.5) == [0.0]


def test_cf_score_defaults_to_weighted_sum_and_needs_results():
    assert cf_score([True, False]) == pytest.approx(0.05)
    with pytest.raises(ValueError) as error:
        cf_score([])
    assert str(error.value) == "No test results to score."


def test_a_row_without_a_language_is_python(sandbox):
    assert code_reward([PY], verification_info=[{"test_cases": CASES}], provider_type="local") == [1.0]
    assert sandbox.programs == [[("python", "print(int(input()) * 2)\n")]]


def test_a_broken_verification_info_is_shown_in_the_error(sandbox):
    broken = '{"language": "python", "test_cases": [' + "x" * 300
    with pytest.raises(ValueError) as error:
        code_reward([PY], verification_info=[broken])
    assert str(error.value) == f"verification_info is not valid JSON: {broken[:200]!r}"
    with pytest.raises(ValueError) as error:
        code_reward([PY], verification_info=[{"language": "python", "tests": "y" * 300}])
    shown = str({"language": "python", "tests": "y" * 300})[:200]
    assert str(error.value) == f"verification_info must be a mapping with 'test_cases', got {shown!r}."
    with pytest.raises(ValueError) as error:
        code_reward([PY], problem=["p"])
    assert str(error.value) == (
        "The code rewards need a `verification_info` column (language and test_cases per row)."
    )
