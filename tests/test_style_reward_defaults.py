"""The style rewards as a caller of open-r1's functions gets them: DAPO's soft overlong punishment (arXiv:2503.14476),
the repetition penalty's defaults, and the code format's fences."""

import pytest

from open_r1.rewards import (
    code_format_reward,
    get_repetition_penalty_reward,
    get_soft_overlong_punishment,
    repetition_penalty_reward,
    soft_overlong_punishment_reward,
)


def test_the_defaults_are_dapos():
    # 16384 tokens at most, the last 4096 of them punished linearly down to -1.
    lengths = [0, 12288, 12289, 14336, 16384, 16385]
    rewards = soft_overlong_punishment_reward(completion_ids=[[0] * n for n in lengths])
    assert rewards == [0.0, 0.0, pytest.approx(-1 / 4096), pytest.approx(-0.5), -1.0, -1.0]


def test_the_soft_zone_may_span_the_whole_length():
    reward = get_soft_overlong_punishment(max_completion_len=100, soft_punish_cache=100)
    assert reward(completion_ids=[[], [0] * 50, [0] * 100]) == [0.0, pytest.approx(-0.5), -1.0]


def test_repetition_penalty_defaults_to_open_r1s_trigrams():
    # "a b c" twice: 4 trigrams, 3 distinct -> -(1 - 3/4). (With 4-grams it would be 3 of 3 distinct: no penalty.)
    assert repetition_penalty_reward(["a b c a b c"]) == [pytest.approx(-0.25)]


@pytest.mark.parametrize("language", ["r", "python", "cpp"])
def test_code_format_needs_the_closing_fence_whatever_the_language(language):
    opened = f"<think>\nx\n</think>\n<answer>\n```{language}\ncode\n</answer>"
    closed = f"<think>\nx\n</think>\n<answer>\n```{language}\ncode\n```\n</answer>"
    assert code_format_reward([opened, closed], language=language) == [0.0, 1.0]


def test_repetition_penalty_accepts_every_sensible_setting_and_names_the_bad_ones():
    # Unigrams and a zero penalty (the reward switched off) are valid recipes.
    assert get_repetition_penalty_reward(ngram_size=1, max_penalty=-1.0)(["a a b b"]) == [pytest.approx(-0.5)]
    assert get_repetition_penalty_reward(ngram_size=3, max_penalty=0.0)(["a b c a b c"]) == [0.0]
    with pytest.raises(ValueError) as error:
        get_repetition_penalty_reward(ngram_size=0, max_penalty=-1.0)
    assert str(error.value) == "ngram_size must be at least 1, got 0."
