"""A math answer counts only where the completion says it is the answer: in \\boxed{}, or after "the answer is".

A number that merely appears in the reasoning (`so it is $6$`) is not an answer. If it were, a policy would learn to
scatter candidate numbers through its reasoning and collect the reward whenever one of them matched; open-r1's
accuracy reward parses answers with math-verify's anchored LaTeX extraction for that reason. Every math reward
(accuracy, cosine, length) reads answers the same way.
"""

import pytest

from open_r1.rewards import accuracy_reward, cosine_scaled_reward, len_reward


GOLD = "6"

ANCHORED = [
    "\\boxed{6}",
    "<think>\n3 + 3\n</think>\n<answer>\n\\boxed{6}\n</answer>",
    "The final answer is $6$",
    "the answer is $6$.",
    "**Final Answer** $\\boxed{6}$",
    # The boxed answer is the answer, whatever other numbers the reasoning tried.
    "I guessed $7$ first, then $5$; the answer is \\boxed{6}",
]

UNANCHORED = [
    "so it is $6$",
    "$6$",
    "3 + 3 = 6",
    "The answer is 6",  # no LaTeX, no box: the same as any number in the text
    "Final Answer: 6",
    "We get $x = 6$ and then nothing more.",
    # A boxed answer is final: a number after it does not replace it.
    "\\boxed{7}, wait: $6$",
]


@pytest.mark.parametrize("completion", ANCHORED)
def test_an_anchored_right_answer_scores(completion):
    assert accuracy_reward([completion], [GOLD]) == [1.0]


@pytest.mark.parametrize("completion", UNANCHORED)
def test_a_number_in_the_reasoning_is_not_an_answer(completion):
    assert accuracy_reward([completion], [GOLD]) == [0.0]


def test_the_length_based_math_rewards_read_answers_the_same_way():
    completions = ["so it is $6$", "\\boxed{6}"]
    # cosine: short wrong answers get the most negative value, short right ones the most positive.
    wrong, right = cosine_scaled_reward(completions, [GOLD, GOLD], max_len=1000)
    assert wrong < -0.9 and right > 0.9
    # length: the unanchored one is wrong, so it can never earn a positive reward.
    rewards = len_reward(completions, [GOLD, GOLD], prompts=["p", "p"])
    assert rewards[0] <= 0.0 and rewards[1] > 0.0
