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
"""Reward functions: right, wrong, unparseable and hostile input, both completion forms, and the registry."""

import asyncio
import math
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from math_verify import parse, verify

import open_r1.rewards as rewards
from open_r1.configs import GRPOScriptArguments
from open_r1.rewards import (
    REWARD_NAMES,
    accuracy_reward,
    binary_code_reward,
    cf_code_reward,
    cf_score,
    code_format_reward,
    code_reward,
    cosine_scaled_reward,
    extract_code,
    format_reward,
    get_code_format_reward,
    get_cosine_scaled_reward,
    get_repetition_penalty_reward,
    get_reward_funcs,
    get_soft_overlong_punishment,
    ioi_code_reward,
    len_reward,
    reasoning_steps_reward,
    tag_count_reward,
)
from open_r1.utils.code_execution.evaluation_script import code_evaluation_script
from open_r1.utils.math_verification import configure_math_verifier, get_math_verifier


GOOD = "<think>\n3 + 5 = 8\n8 - 2 = 6\n</think>\n<answer>\n\\boxed{6}\n</answer>"
WRONG = "<think>\n3 + 5 = 8\n8 - 2 = 7\n</think>\n<answer>\n\\boxed{7}\n</answer>"
SOLUTION = "3 + 5 = 8, and 8 - 2 = 6. The answer is $\\boxed{6}$."
HANG = r"<answer>\boxed{9^{9^{9^{9}}}}</answer>"  # see test_math_verification.py


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


@pytest.fixture(scope="module", autouse=True)
def fast_verifier():
    # The rewards share one verifier; give it a short deadline so the hostile cases stay fast.
    configure_math_verifier(num_workers=2, timeout_s=2.0)
    yield
    configure_math_verifier()


def script_args(**overrides) -> GRPOScriptArguments:
    return GRPOScriptArguments(dataset_name="unused", **overrides)


# ------------------------------------------------------------------------------------------------ registry


def test_registry_has_open_r1_names():
    assert REWARD_NAMES == {
        "accuracy",
        "format",
        "reasoning_steps",
        "cosine",
        "repetition_penalty",
        "length",
        "code",
        "binary_code",
        "ioi_code",
        "cf_code",
        "code_format",
        "tag_count",
        "soft_overlong_punishment",
    }


def test_get_reward_funcs_in_order_with_open_r1_names():
    from trl.trainer.utils import get_callable_name

    names = ["tag_count", "accuracy", "cosine", "repetition_penalty", "soft_overlong_punishment", "code_format"]
    funcs = get_reward_funcs(script_args(reward_funcs=names))
    expected = [
        "tag_count_reward",
        "accuracy_reward",
        "cosine_scaled_reward",
        "repetition_penalty_reward",
        "soft_overlong_punishment_reward",
        "code_format_reward",
    ]
    assert [f.__name__ for f in funcs] == expected
    assert [get_callable_name(f) for f in funcs] == expected  # what trl logs


def test_get_reward_funcs_applies_options():
    args = script_args(
        reward_funcs=["cosine", "repetition_penalty", "soft_overlong_punishment", "format", "code_format"],
        cosine_max_len=10,
        repetition_n_grams=2,
        repetition_max_penalty=-0.5,
        max_completion_len=100,
        soft_punish_cache=20,
        format_think_prefilled=True,
        code_language="javascript",
    )
    cosine, repetition, overlong, fmt, code_fmt = get_reward_funcs(args)
    assert cosine.keywords["max_len"] == 10
    assert repetition(["a a a a a"]) == [pytest.approx((1 - 1 / 4) * -0.5)]
    assert overlong(completion_ids=[[0] * 90]) == [-0.5]
    assert fmt([GOOD.removeprefix("<think>\n")]) == [1.0]
    js = "<think>\nx\n</think>\n<answer>\n```javascript\nconsole.log(1)\n```\n</answer>"
    assert code_fmt([js]) == [1.0]


def test_math_rewards_start_the_shared_verifier_with_the_recipes_options():
    args = script_args(reward_funcs=["format", "cosine"])
    args.math_verify_timeout = 3.0  # optional fields, read when present
    args.math_verify_workers = 1
    try:
        get_reward_funcs(args)
        verifier = get_math_verifier()
        assert verifier.timeout_s == 3.0 and verifier.num_workers == 1
        assert len(verifier.worker_pids) == 1  # started in the background, before any reward call
    finally:
        configure_math_verifier(num_workers=2, timeout_s=2.0)  # this module's settings


def test_unknown_reward_is_named():
    args = script_args()
    args.reward_funcs = ["accuracy", "acuracy"]
    with pytest.raises(ValueError, match="acuracy") as error:
        get_reward_funcs(args)
    assert "acuracy" in str(error.value) and "accuracy" in str(error.value)


def test_reward_names_help_lists_the_registry():
    # configs cannot import REWARD_NAMES (it sits below rewards), so its help spells them out: keep them in step.
    from open_r1.configs import REWARD_NAMES_HELP

    listed = set(REWARD_NAMES_HELP.split("by registry name: ", 1)[1].split(";")[0].split(", "))
    assert listed == REWARD_NAMES


def test_rewards_import_is_light():
    # rewards must not import configs, torch or trl at import time (configs only for type checking).
    code = (
        "import sys, open_r1.rewards; "
        "bad = [m for m in ('torch', 'trl', 'transformers', 'open_r1.configs', 'math_verify') if m in sys.modules]; "
        "assert not bad, bad"
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src})


def test_every_reward_follows_trls_calling_convention(monkeypatch):
    """Called the way GRPOTrainer calls them: all columns and trl's helper keywords, one value per completion."""
    monkeypatch.setattr(rewards.code, "execute_scripts", lambda scripts, *args, **kwargs: [1.0] * len(scripts))
    monkeypatch.setattr(
        rewards.code, "score_submissions", lambda benchmark, problems, codes, *a, **k: [0.5] * len(codes)
    )
    metrics = {}
    code_text = "<think>\nx\n</think>\n<answer>\n```python\nprint(6)\n```\n</answer>"
    completions = [chat(GOOD), chat(WRONG), chat(code_text)]
    kwargs = dict(
        prompts=[[{"role": "user", "content": "What is 3 + 5 - 2?"}]] * 3,
        completions=completions,
        completion_ids=[[1] * 10, [1] * 20, [1] * 30],
        solution=[SOLUTION] * 3,
        answer=["6"] * 3,
        problem=["What is 3 + 5 - 2?"] * 3,
        verification_info=[{"language": "python", "test_cases": [{"input": "", "output": "6"}]}] * 3,
        id=["p1"] * 3,
        trainer_state=object(),
        log_extra=lambda column, values: None,
        log_metric=lambda name, value: metrics.setdefault(name, value),
    )
    for func in get_reward_funcs(script_args(reward_funcs=sorted(REWARD_NAMES))):
        out = func(**kwargs)
        assert len(out) == 3, func.__name__
        assert all(r is None or isinstance(r, float) for r in out), (func.__name__, out)
    assert "math_verify/time_s" in metrics


# ------------------------------------------------------------------------------------------------ accuracy


def test_accuracy_right_wrong_unparseable_both_forms():
    completions = [GOOD, WRONG, "no answer", "<answer>\\boxed{\\frac{12}{2}}</answer>"]
    solutions = [SOLUTION, SOLUTION, SOLUTION, SOLUTION]
    assert accuracy_reward(completions, solutions) == [1.0, 0.0, 0.0, 1.0]
    assert accuracy_reward([chat(c) for c in completions], solutions) == [1.0, 0.0, 0.0, 1.0]
    # Unparseable or missing gold: cannot judge, trl skips the row.
    assert accuracy_reward([GOOD, GOOD, GOOD], ["no numbers here", None, ""]) == [None, None, None]


def test_accuracy_plain_answer_column_and_conversations():
    # The `answer` column ("6") works as a gold too; the last assistant turn of a tool conversation is the answer.
    conversation = [
        {"role": "assistant", "content": "Let me compute.", "tool_calls": [{"name": "calc"}]},
        {"role": "tool", "content": "6"},
        {"role": "assistant", "content": [{"type": "text", "text": "<answer>\\boxed{6}</answer>"}]},
    ]
    assert accuracy_reward([GOOD, conversation, chat(WRONG)], ["6", "6", "6"]) == [1.0, 1.0, 0.0]


def test_accuracy_same_off_the_main_thread_and_in_event_loops():
    completions = [GOOD, WRONG, "<answer>\\boxed{0.5}</answer>", "<answer>\\boxed{[1,3]}</answer>"]
    solutions = [SOLUTION, SOLUTION, "$\\frac{1}{2}$", "$1 \\le x \\le 3$"]
    expected = [1.0, 0.0, 1.0, 1.0]

    def fresh():
        get_math_verifier()._cache.clear()
        return accuracy_reward(completions, solutions)

    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("thread", fresh()))
    thread.start()
    thread.join()
    assert fresh() == expected
    assert out["thread"] == expected
    assert asyncio.run(asyncio.to_thread(fresh)) == expected


def test_accuracy_hostile_answers_return_promptly():
    huge = "<think>" + "12345 " * 200_000 + "</think><answer>\\boxed{6}</answer>"
    nested = "<answer>\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}</answer>"
    start = time.monotonic()
    result = accuracy_reward([HANG, huge, nested, GOOD], [SOLUTION] * 4)
    assert result == [0.0, 1.0, 0.0, 1.0]
    assert time.monotonic() - start < 15.0  # the 2 s deadline killed the hang


# ------------------------------------------------------------------------------------------------ gold/answer order

# verify() is not symmetric: gold "1 <= x <= 3" accepts the answer "[1,3]", but gold "[1,3]" rejects "1 <= x <= 3".
ORDER_GOLD = "$\\boxed{1 \\le x \\le 3}$"
ORDER_ANSWER = "<answer>\\boxed{[1,3]}</answer>"


def test_order_case_is_really_asymmetric():
    gold, answer = parse(ORDER_GOLD, extraction_mode="first_match"), parse("$\\boxed{[1,3]}$")
    assert verify(gold, answer) is True
    assert verify(answer, gold) is False  # open-r1's len/cosine order


def test_accuracy_cosine_and_length_agree_on_the_order():
    assert accuracy_reward([ORDER_ANSWER], [ORDER_GOLD]) == [1.0]
    cosine = get_cosine_scaled_reward(max_len=100)
    length = len(ORDER_ANSWER)
    expected = 0.5 + 0.5 * (1.0 - 0.5) * (1.0 + math.cos(length / 100 * math.pi))  # the "correct" branch
    assert cosine([ORDER_ANSWER], [ORDER_GOLD]) == [pytest.approx(expected)]
    # Both correct (the shorter one gets 0.5); with open-r1's order the longer one would be wrong and score min(0, .).
    longer = ORDER_ANSWER + " " * 10
    assert len_reward([ORDER_ANSWER, longer], [ORDER_GOLD] * 2) == [0.5, -0.5]
    wrong_longer = "<answer>\\boxed{[1,4]}</answer>" + " " * 10
    assert len_reward([ORDER_ANSWER, wrong_longer], [ORDER_GOLD] * 2) == [0.5, -0.5]
    assert len_reward([ORDER_ANSWER + " " * 20, "<answer>\\boxed{[1,4]}</answer>"], [ORDER_GOLD] * 2) == [-0.5, 0.0]


# ------------------------------------------------------------------------------------------------ length


def test_len_reward_kimi_values():
    short, long = GOOD, GOOD.replace("8 - 2 = 6", "8 - 2 = 6, checking: 6 + 2 = 8, so 6")
    wrong_short, wrong_long = WRONG, WRONG + "\n" + "hmm " * 10
    assert len_reward([short, short], [SOLUTION] * 2) == [0.0, 0.0]  # all the same length
    assert len_reward([short, long], [SOLUTION] * 2) == [0.5, -0.5]
    lengths = [len(x) for x in (short, long, wrong_short, wrong_long)]
    lo, hi = min(lengths), max(lengths)
    lam = [0.5 - (n - lo) / (hi - lo) for n in lengths]
    expected = [lam[0], lam[1], min(0.0, lam[2]), min(0.0, lam[3])]
    assert len_reward([chat(short), chat(long), chat(wrong_short), chat(wrong_long)], [SOLUTION] * 4) == [
        pytest.approx(x) for x in expected
    ]


def test_len_reward_normalises_within_each_prompts_group():
    # Prompt B's very long completion must not squash prompt A's scale.
    long_b = "<answer>\\boxed{7}</answer>" + "x" * 5000
    prompts = ["A", "A", "B", "B"]
    out = len_reward([GOOD, GOOD + "  ", "<answer>\\boxed{7}</answer>", long_b], ["6", "6", "7", "7"], prompts=prompts)
    assert out == [0.5, -0.5, 0.5, -0.5]


def test_len_reward_unparseable_gold_is_none_and_out_of_the_group():
    out = len_reward([GOOD, GOOD + " " * 100, GOOD + " " * 5], [SOLUTION, "no gold", SOLUTION])
    assert out == [0.5, None, -0.5]  # the None row's length is not the group's maximum


# ------------------------------------------------------------------------------------------------ cosine


def test_cosine_values():
    cosine = get_cosine_scaled_reward(
        min_value_wrong=-1.0, max_value_wrong=-0.5, min_value_correct=0.5, max_value_correct=1.0, max_len=100
    )
    right_50 = "<answer>\\boxed{6}</answer>".ljust(50)
    wrong_50 = "<answer>\\boxed{5}</answer>".ljust(50)
    assert cosine([right_50, wrong_50], ["6", "6"]) == [pytest.approx(0.75), pytest.approx(-0.75)]
    right_100, wrong_100 = right_50.ljust(100), wrong_50.ljust(100)
    assert cosine([right_100, wrong_100], ["6", "6"]) == [pytest.approx(0.5), pytest.approx(-0.5)]
    # Past max_len the reward stays at the long end (open-r1's cosine turns back up: 1.0 and -1.0 at 2 * max_len).
    assert cosine([right_50.ljust(200), wrong_50.ljust(200)], ["6", "6"]) == [pytest.approx(0.5), pytest.approx(-0.5)]
    # Shorter is better when right, and a short wrong guess is worse than a long wrong attempt.
    right_10, wrong_10 = "\\boxed{6}", "\\boxed{5}"
    short = cosine([right_10, wrong_10], ["6", "6"])
    assert short[0] > 0.75 and short[1] < -0.75


def test_cosine_unparseable_gold_is_none():
    assert cosine_scaled_reward([GOOD, chat(GOOD)], ["no gold here", None]) == [None, None]


def test_cosine_factory_validates():
    with pytest.raises(ValueError, match="max_len"):
        get_cosine_scaled_reward(max_len=0)


# ------------------------------------------------------------------------------------------------ format


FORMAT_REGEX = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
CODE_FORMAT_REGEX = re.compile(
    r"^<think>\n.*?\n</think>\n<answer>\n.*?```python.*?```.*?\n</answer>$", re.DOTALL | re.MULTILINE
)


def test_format_right_and_wrong():
    cases = {
        GOOD: 1.0,
        "<think>\n\n</think>\n<answer>\n\n</answer>": 1.0,
        GOOD + "\ntrailing line": 1.0,  # open-r1's MULTILINE `$` tolerates this
        GOOD + " trailing": 0.0,
        GOOD.replace("<think>\n", "<think>"): 0.0,
        " " + GOOD: 0.0,
        "<answer>\n6\n</answer>": 0.0,
        "": 0.0,
    }
    assert format_reward(list(cases)) == list(cases.values())
    assert format_reward([chat(c) for c in cases]) == list(cases.values())


def test_format_think_prefilled():
    prefilled = GOOD.removeprefix("<think>\n")
    assert format_reward([prefilled]) == [0.0]
    assert format_reward([prefilled, GOOD, "6"], think_prefilled=True) == [1.0, 1.0, 0.0]
    assert tag_count_reward([prefilled], think_prefilled=True) == [1.0]
    fn = get_reward_funcs(script_args(reward_funcs=["format"], format_think_prefilled=True))[0]
    assert fn([chat(prefilled)]) == [1.0]
    assert get_reward_funcs(script_args(reward_funcs=["format"]))[0]([chat(prefilled)]) == [0.0]


def test_format_matchers_equal_open_r1_regex():
    tokens = ["<think>", "</think>", "<answer>", "</answer>", "\n", "x", "```", "```python", "<think>\n"]
    tokens += ["\n</think>\n<answer>\n", "\n</answer>"]
    rng = random.Random(0)
    positives = 0
    for _ in range(20_000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 10)))
        text = "<think>\n" + text if rng.random() < 0.5 else text
        expected = 1.0 if FORMAT_REGEX.match(text) else 0.0
        expected_code = 1.0 if CODE_FORMAT_REGEX.match(text) else 0.0
        assert format_reward([text]) == [expected], repr(text)
        assert code_format_reward([text]) == [expected_code], repr(text)
        positives += expected + expected_code
    assert positives > 300  # the fuzzing reaches both outcomes


def test_format_rewards_are_linear_on_degenerate_completions():
    degenerate = "<think>\n" + "\n</think>\n<answer>\n```python" * 20_000  # open-r1's regex: tens of seconds
    start = time.monotonic()
    for func in (format_reward, code_format_reward, tag_count_reward, reasoning_steps_reward):
        assert func([degenerate])[0] <= 1.0
    assert time.monotonic() - start < 1.0


def test_tag_count():
    assert tag_count_reward([GOOD, chat(GOOD)]) == [1.0, 1.0]
    assert tag_count_reward(["<think>\nx\n</think>\n"]) == [0.5]
    assert tag_count_reward([GOOD + GOOD]) == [0.0]  # every tag twice
    assert tag_count_reward(["", "plain text"]) == [0.0, 0.0]


def test_reasoning_steps():
    three = "Step 1: add.\nStep 2: subtract.\nStep 3: box."
    assert reasoning_steps_reward([three, chat("First, add. Next, subtract."), "1. only one", "nothing"]) == [
        1.0,
        pytest.approx(2 / 3),
        pytest.approx(1 / 3),
        0.0,
    ]
    assert reasoning_steps_reward(["Step 1: a\n- b\n* c\nFinally, d"]) == [1.0]  # capped at 1


# ------------------------------------------------------------------------------------------------ repetition


def test_repetition_penalty_en():
    reward = get_repetition_penalty_reward(ngram_size=2, max_penalty=-1.0)
    assert reward(["the cat sat on the mat", chat("a a a a a a"), "A a A a", "", "one"]) == [
        0.0,
        pytest.approx(-(1 - 1 / 5)),
        pytest.approx(-(1 - 1 / 3)),  # lowercased
        0.0,
        0.0,  # shorter than the n-gram
    ]


def test_repetition_penalty_zh():
    reward = get_repetition_penalty_reward(ngram_size=2, max_penalty=-1.0, language="zh")
    repeated, varied = reward(["我爱北京我爱北京我爱北京我爱北京", "今天天气很好，我们去公园散步。"])
    assert repeated < -0.4 and varied == 0.0


def test_repetition_penalty_validates():
    with pytest.raises(ValueError, match="positive"):
        get_repetition_penalty_reward(ngram_size=3, max_penalty=0.5)
    with pytest.raises(ValueError, match="language"):
        get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0, language="fr")


def test_repetition_penalty_hostile():
    reward = get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0)
    start = time.monotonic()
    assert reward(["spam " * 500_000]) == [pytest.approx(-(1 - 1 / 499_998))]
    assert time.monotonic() - start < 5.0


# ------------------------------------------------------------------------------------------------ overlong


def test_soft_overlong_punishment():
    reward = get_soft_overlong_punishment(max_completion_len=100, soft_punish_cache=20)
    assert reward(completion_ids=[[1] * n for n in (0, 80, 81, 90, 100, 101, 10_000)]) == [
        0.0,
        0.0,
        pytest.approx(-1 / 20),
        -0.5,
        -1.0,
        -1.0,
        -1.0,
    ]
    assert get_soft_overlong_punishment(100, 0)(completion_ids=[[1] * 100, [1] * 101]) == [0.0, -1.0]
    with pytest.raises(ValueError, match="soft_punish_cache"):
        get_soft_overlong_punishment(max_completion_len=10, soft_punish_cache=20)


# ------------------------------------------------------------------------------------------------ code


CODE = (
    "<think>\nx\n</think>\n<answer>\n```python\nprint(1)\n```\nthen\n"
    "```python\nprint(int(input()) * 2)\n```\n</answer>"
)
INFO = {"language": "python", "test_cases": [{"input": "3\n", "output": "6\n"}, {"input": "5\n", "output": "11"}]}


def test_extract_code_takes_the_last_block():
    assert extract_code(CODE) == "print(int(input()) * 2)\n"
    assert extract_code("no code") == ""
    assert extract_code("```cpp\nint main(){}\n```", "cpp") == "int main(){}\n"
    assert extract_code("```cpp\nint main(){}\n```", "python") == ""


def test_code_format():
    assert code_format_reward([CODE, chat(CODE), GOOD]) == [1.0, 1.0, 0.0]
    assert get_code_format_reward("cpp")([CODE]) == [0.0]
    assert code_format_reward([CODE.removeprefix("<think>\n")], think_prefilled=True) == [1.0]


def run_script(script: str) -> float:
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def test_evaluation_script_scores_test_cases():
    assert run_script(code_evaluation_script(extract_code(CODE), INFO["test_cases"])) == 0.5
    crash = code_evaluation_script("raise SystemExit(1)", INFO["test_cases"])
    assert run_script(crash) == 0.0
    # open-r1 zipped output and expected lines: printing only the first of two expected lines passed.
    two_lines = [{"input": "", "output": "1\n2"}]
    assert run_script(code_evaluation_script("print(1)", two_lines)) == 0.0
    assert run_script(code_evaluation_script("print(1); print(2)", two_lines)) == 1.0
    with pytest.raises(ValueError, match="judge"):
        code_evaluation_script("int main(){}", two_lines, "cpp")


def test_code_reward_runs_scripts_through_execute_scripts(monkeypatch):
    calls = []

    def fake_execute(scripts, languages, provider_type, num_parallel=2, **kwargs):
        calls.append((provider_type, num_parallel, kwargs))
        return [run_script(script) for script in scripts]

    monkeypatch.setattr(rewards.code, "execute_scripts", fake_execute)
    info_json = '{"language": "python", "test_cases": [{"input": "3", "output": "6"}]}'  # JSON-string column
    out = code_reward([CODE, chat(CODE), "no code"], verification_info=[INFO, info_json, INFO], provider_type="local")
    assert out == [0.5, 1.0, 0.0]
    assert calls == [("local", 2, {})]
    assert binary_code_reward([CODE, chat(CODE)], verification_info=[INFO, info_json]) == [0.0, 1.0]


def test_binary_threshold(monkeypatch):
    monkeypatch.setattr(rewards.code, "code_reward", lambda completions, **kwargs: [1.0, 0.995, 0.99, 0.5, None])
    assert binary_code_reward([CODE] * 5, verification_info=[INFO] * 5) == [1.0, 1.0, 0.0, 0.0, None]


def test_code_reward_without_backend_names_the_provider():
    with pytest.raises(NotImplementedError, match="'e2b'"):
        code_reward([CODE], verification_info=[INFO])
    with pytest.raises(ValueError, match="verification_info"):
        code_reward([CODE])
    with pytest.raises(ValueError, match="mixes languages"):
        code_reward([CODE] * 2, verification_info=[INFO, {**INFO, "language": "cpp"}], enforce_same_language=True)


def test_cf_score_modes():
    assert cf_score([True, True], "pass_fail") == 1.0
    assert cf_score([True, False], "pass_fail") == 0.0
    assert cf_score([True, False, False, True], "partial") == 0.5
    assert cf_score([True, True], "weighted_sum") == pytest.approx(1.1)
    assert cf_score([True, False], "weighted_sum") == pytest.approx(0.05)
    with pytest.raises(ValueError, match="scoring mode"):
        cf_score([True], "best")


def test_ioi_and_cf_pass_rows_and_code_to_the_judge(monkeypatch):
    seen = {}

    def fake_judge(benchmark, problems, codes, provider_type, **options):
        seen[benchmark] = (problems, codes, provider_type, options)
        return [1.0] * len(codes)

    monkeypatch.setattr(rewards.code, "score_submissions", fake_judge)
    cpp = "<answer>\n```cpp\nint main() { return 0; }\n```\n</answer>"
    trl_helpers = {"trainer_state": object(), "log_metric": print, "log_extra": print}
    assert ioi_code_reward([chat(cpp)], id=["nile"], subtask=["01"], test_batch_size=4, **trl_helpers) == [1.0]
    problems, codes, provider, options = seen["ioi"]
    assert problems == [{"id": "nile", "subtask": "01"}]  # trl's helpers are not problem columns
    assert codes[0].startswith('#include <bits/stdc++.h>\n#include "nile.h"\n') and "int main()" in codes[0]
    assert provider == "piston" and options == {"test_batch_size": 4}

    py = "<answer>\n```python\nprint(1)\n```\n</answer>"
    cf_code_reward([py, cpp], language=["python", None], scoring_mode="partial", **trl_helpers)
    problems, codes, _, options = seen["cf"]
    assert codes == ["print(1)\n", "int main() { return 0; }\n"]
    assert options["scoring_mode"] == "partial"
    with pytest.raises(ValueError, match="scoring mode"):
        cf_code_reward([py], scoring_mode="best")


def test_ioi_without_backend_names_the_provider():
    with pytest.raises(NotImplementedError, match="'piston'"):
        ioi_code_reward(["```cpp\nint main(){}\n```"], id=["nile"])
