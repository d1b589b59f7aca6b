"""DAPO's soft overlong punishment (arXiv:2503.14476) as a caller of open-r1's function gets it."""

import pytest

from open_r1.rewards import get_soft_overlong_punishment, soft_overlong_punishment_reward


def test_the_defaults_are_dapos():
    # 16384 tokens at most, the last 4096 of them punished linearly down to -1.
    lengths = [0, 12288, 12289, 14336, 16384, 16385]
    rewards = soft_overlong_punishment_reward(completion_ids=[[0] * n for n in lengths])
    assert rewards == [0.0, 0.0, pytest.approx(-1 / 4096), pytest.approx(-0.5), -1.0, -1.0]


def test_the_soft_zone_may_span_the_whole_length():
    reward = get_soft_overlong_punishment(max_completion_len=100, soft_punish_cache=100)
    assert reward(completion_ids=[[], [0] * 50, [0] * 100]) == [0.0, pytest.approx(-0.5), -1.0]
