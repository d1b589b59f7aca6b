"""Every reward reads the completion trl hands it, in each shape trl and chat templates produce.

trl passes a completion as a plain string or as a conversation; tool-using and multimodal models produce turns
without text, turns with content blocks, and turns from other roles after the answer. A reward that read the wrong
turn would score the tool's output or an empty string instead of the model's answer.
"""

import pytest

from open_r1.rewards import accuracy_reward, completion_text, format_reward, tag_count_reward


ANSWER = "<think>\nadd\n</think>\n<answer>\n\\boxed{6}\n</answer>"


@pytest.mark.parametrize(
    "completion, text",
    [
        (ANSWER, ANSWER),
        ({"role": "assistant", "content": ANSWER}, ANSWER),  # a single message
        ([], ""),
        ([{"role": "assistant", "content": ANSWER}], ANSWER),
        ([{"content": ANSWER}], ANSWER),  # no role: trl's completions are the assistant's
        ([{"content": ANSWER}, {"role": "tool", "content": "7"}], ANSWER),
        # The last assistant turn is the answer, even with a tool's or the user's turn after it.
        ([{"role": "assistant", "content": "first"}, {"role": "assistant", "content": ANSWER}], ANSWER),
        ([{"role": "assistant", "content": ANSWER}, {"role": "tool", "content": "7"}], ANSWER),
        ([{"role": "assistant", "content": ANSWER}, {"role": "user", "content": "thanks"}], ANSWER),
        # No assistant turn at all: the last turn is all there is.
        (
            [{"role": "user", "content": "q"}, {"role": "tool", "content": "7"}, {"role": "user", "content": "ok"}],
            "ok",
        ),
        # A turn that only calls a tool has no text.
        ([{"role": "assistant", "content": None, "tool_calls": [{"name": "calc"}]}], ""),
        # Content blocks: the text blocks, in order; images and other blocks add nothing.
        (
            [
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "<think>\nadd\n</think>\n"},
                        {"type": "image", "url": "x.png"},
                        "not a block",
                        {"type": "text", "text": "<answer>\n\\boxed{6}\n</answer>"},
                    ],
                }
            ],
            ANSWER,
        ),
    ],
)
def test_the_text_a_reward_reads(completion, text):
    assert completion_text(completion) == text


def test_rewards_score_the_assistants_turn_not_the_tools():
    conversation = [{"role": "assistant", "content": ANSWER}, {"role": "tool", "content": "\\boxed{7}"}]
    assert accuracy_reward([conversation], ["6"]) == [1.0]
    assert format_reward([conversation]) == [1.0]


def test_a_prefilled_think_tag_is_added_once():
    # With think_prefilled, the template already opened the block; a completion that opens it again (after any
    # leading whitespace) is not given a second opening tag, so each tag is still counted once.
    for completion in (ANSWER, "\n" + ANSWER, "  " + ANSWER):
        assert tag_count_reward([completion], think_prefilled=True) == [1.0], repr(completion)
    assert tag_count_reward([ANSWER.removeprefix("<think>\n")], think_prefilled=True) == [1.0]
    assert format_reward([ANSWER.removeprefix("<think>\n")], think_prefilled=True) == [1.0]
