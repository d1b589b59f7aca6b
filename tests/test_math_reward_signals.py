"""What the math rewards report next to their scores, and the defaults a caller of open-r1's functions gets.

During training the math rewards log `math_verify/time_s` and `math_verify/timeouts` through trl's `log_metric`
(they show up in wandb next to the rewards) and warn when rows cannot be judged: a dataset whose gold answers do not
parse trains on nothing, and this warning is the only sign of it. The names and counts here are the ones dashboards
and users read.
"""

import logging

import pytest

from open_r1.rewards import accuracy_reward, cosine_scaled_reward, get_cosine_scaled_reward, len_reward
from open_r1.utils.math_verification import configure_math_verifier


RIGHT = "<think>\n3 + 3 = 6\n</think>\n<answer>\n\\boxed{6}\n</answer>"
WRONG = "<think>\n3 + 3 = 7\n</think>\n<answer>\n\\boxed{7}\n</answer>"
HANG = r"<answer>\boxed{9^{9^{9^{9}}}}</answer>"  # seconds of sympy (test_math_verification.py)


def _metrics(reward, *args, **kwargs) -> tuple[list, dict]:
    logged = {}
    out = reward(*args, log_metric=lambda name, value: logged.setdefault(name, value), **kwargs)
    return out, logged


def test_every_math_reward_logs_its_verification_time_and_timeouts():
    for reward in (accuracy_reward, len_reward, cosine_scaled_reward):
        # New texts each time: answers already verified come from a cache, and a call that verified nothing logs
        # nothing (a zero time would drag the logged mean down).
        tag = reward.__name__
        out, logged = _metrics(reward, [RIGHT + tag, WRONG + tag], ["6", "6"])
        assert set(logged) == {"math_verify/time_s", "math_verify/timeouts"}, reward.__name__
        assert isinstance(logged["math_verify/time_s"], float) and logged["math_verify/time_s"] > 0.0
        assert logged["math_verify/timeouts"] == 0.0
    _, again = _metrics(accuracy_reward, [RIGHT + "accuracy_reward"], ["6"])
    assert again == {}, "a fully cached call verified nothing and must log nothing"


def test_a_verification_that_times_out_is_counted():
    # A recipe's `math_verify_timeout: 1` (the default deadline is longer than this answer takes to give up).
    configure_math_verifier(num_workers=1, timeout_s=1.0)
    try:
        out, logged = _metrics(accuracy_reward, [HANG, RIGHT + " timeout"], ["6", "6"])
    finally:
        configure_math_verifier()  # back to the defaults
    assert out == [0.0, 1.0]
    assert logged["math_verify/timeouts"] == 1.0


def test_rows_that_cannot_be_judged_are_counted_in_a_warning(caplog):
    caplog.set_level(logging.WARNING, logger="open_r1.rewards.math")
    out = accuracy_reward([RIGHT, RIGHT, RIGHT, WRONG], ["6", None, "no numbers here", "6"])
    assert out == [1.0, None, None, 0.0]
    warnings = [r.getMessage() for r in caplog.records if "could not be judged" in r.getMessage()]
    assert warnings == [
        "2 of 4 rows could not be judged (gold missing, unparseable or too slow to parse): they score None."
    ]
    caplog.clear()
    accuracy_reward([RIGHT, WRONG], ["6", "6"])
    assert not [r for r in caplog.records if "could not be judged" in r.getMessage()]


def test_mismatched_golds_and_completions_fail_loudly():
    with pytest.raises(ValueError, match="Got 1 gold solutions for 2 completions"):
        accuracy_reward([RIGHT, WRONG], ["6"])


def test_cosine_defaults_are_open_r1s():
    # open-r1's defaults: right answers 1.0 (short) to 0.5 (at 1000 characters), wrong ones -1.0 to -0.5.
    short_right, short_wrong = "\\boxed{6}", "\\boxed{7}"
    long_right, long_wrong = short_right.ljust(1000), short_wrong.ljust(1000)
    for cosine in (cosine_scaled_reward, get_cosine_scaled_reward()):
        values = cosine([short_right, short_wrong, long_right, long_wrong], ["6"] * 4)
        assert values[0] == pytest.approx(1.0, abs=1e-3) and values[1] == pytest.approx(-1.0, abs=1e-3)
        assert values[2] == pytest.approx(0.5) and values[3] == pytest.approx(-0.5)


def test_cosine_takes_any_positive_length_and_refuses_the_rest():
    one = get_cosine_scaled_reward(max_len=1)
    assert one(["\\boxed{6}"], ["6"]) == [pytest.approx(0.5)]  # every answer is "long" at max_len 1
    for bad in (0, -5):
        with pytest.raises(ValueError, match=f"got {bad}"):
            get_cosine_scaled_reward(max_len=bad)


def test_the_cosine_factory_keeps_the_name_trl_logs():
    assert get_cosine_scaled_reward().__name__ == "cosine_scaled_reward"


def test_length_is_normalised_within_each_prompt_even_when_prompts_share_an_answer():
    # Many problems have the same answer; the group is the prompt's completions, not every row with that answer.
    prompts = ["A", "A", "B", "B"]
    short_a, long_a = RIGHT, RIGHT + " " * 10
    short_b, long_b = RIGHT + " " * 500, RIGHT + " " * 1000
    out = len_reward([short_a, long_a, short_b, long_b], ["6"] * 4, prompts=prompts)
    assert out == [0.5, -0.5, 0.5, -0.5]


def test_the_recipes_cosine_values_reach_the_reward():
    # Every value of the recipe's cosine_* options changes what the reward pays (none is left at its default).
    cosine = get_cosine_scaled_reward(
        min_value_wrong=-3.0, max_value_wrong=-2.0, min_value_correct=2.0, max_value_correct=3.0, max_len=10
    )
    short_right, short_wrong = "\\boxed{6}", "\\boxed{7}"
    values = cosine(["\\boxed{6}".ljust(10), "\\boxed{7}".ljust(10)], ["6", "6"])
    assert values == [pytest.approx(2.0), pytest.approx(-2.0)]  # at max_len: the long ends
    tiny = get_cosine_scaled_reward(
        min_value_wrong=-3.0, max_value_wrong=-2.0, min_value_correct=2.0, max_value_correct=3.0, max_len=10**9
    )
    values = tiny([short_right, short_wrong], ["6", "6"])
    assert values == [pytest.approx(3.0), pytest.approx(-3.0)]  # short: the short ends
