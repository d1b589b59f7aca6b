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
"""Format and style rewards: the think/answer format, its tags, reasoning steps, repetition and overlong
completions. They read the text (or, for overlong punishment, the token ids) and run nothing."""

import functools
import re
from collections.abc import Callable

from .common import Completion, _named, _texts, _think_prefilled


# open-r1's format is the regex r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$" (DOTALL | MULTILINE). Its
# lazy groups backtrack quadratically: a degenerate completion repeating the tags takes seconds to match. The
# matchers below accept exactly the same strings in linear time (tests compare them with the regex): taking the
# earliest occurrence of each separator leaves the most room for the rest. As with the regex's MULTILINE `$`, lines
# after "</answer>" are tolerated.
_THINK_OPEN = "<think>\n"
_THINK_TO_ANSWER = "\n</think>\n<answer>\n"
_ANSWER_CLOSE = re.compile(r"\n</answer>(?=\n|\Z)")


def _is_think_answer(text: str, fence: str | None = None) -> bool:
    """`<think>\n...\n</think>\n<answer>\n...\n</answer>`, and with `fence`, a ```fence ... ``` block in the answer."""
    if not text.startswith(_THINK_OPEN):
        return False
    position = text.find(_THINK_TO_ANSWER, len(_THINK_OPEN))
    if position < 0:
        return False
    position += len(_THINK_TO_ANSWER)
    if fence is not None:
        position = text.find("```" + fence, position)
        if position < 0:
            return False
        position = text.find("```", position + 3 + len(fence))
        if position < 0:
            return False
        position += 3
    return _ANSWER_CLOSE.search(text, position) is not None


def format_reward(completions: list[Completion], *, think_prefilled: bool = False, **kwargs) -> list[float]:
    """1.0 if the completion is `<think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>`, else 0.0.

    With `think_prefilled` (DeepSeek-R1-Distill chat templates put "<think>\\n" in the prompt) a completion that
    starts inside the reasoning block is judged as if the prefilled tag were part of it.
    """
    texts = _texts(completions)
    if think_prefilled:
        texts = [_think_prefilled(text) for text in texts]
    return [1.0 if _is_think_answer(text) else 0.0 for text in texts]


def tag_count_reward(completions: list[Completion], *, think_prefilled: bool = False, **kwargs) -> list[float]:
    """0.25 for each of "<think>\\n", "\\n</think>\\n", "\\n<answer>\\n", "\\n</answer>" present exactly once."""
    texts = _texts(completions)
    if think_prefilled:
        texts = [_think_prefilled(text) for text in texts]
    tags = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
    return [sum(0.25 for tag in tags if text.count(tag) == 1) for text in texts]


_STEP_PATTERN = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)")


def reasoning_steps_reward(completions: list[Completion], **kwargs) -> list[float]:
    """min(1, steps / 3), counting "Step N:", numbered lines, bullets and First/Second/Next/Finally."""
    return [min(1.0, len(_STEP_PATTERN.findall(text)) / 3) for text in _texts(completions)]


def _words_en(text: str) -> list[str]:
    return text.lower().split()


def _words_zh(text: str) -> list[str]:
    import jieba

    return [word for word in jieba.lcut(text) if word.strip()]


def repetition_penalty_reward(
    completions: list[Completion], *, ngram_size: int = 3, max_penalty: float = -1.0, language: str = "en", **kwargs
) -> list[float]:
    """(1 - unique n-grams / n-grams) * max_penalty over lowercased words (zh: jieba segments); 0 when too short."""
    split = _words_zh if language == "zh" else _words_en
    rewards = []
    for text in _texts(completions):
        words = split(text) if text else []
        if len(words) < ngram_size:
            rewards.append(0.0)
            continue
        ngrams = list(zip(*[words[i:] for i in range(ngram_size)]))
        rewards.append((1.0 - len(set(ngrams)) / len(ngrams)) * max_penalty)
    return rewards


def get_repetition_penalty_reward(ngram_size: int, max_penalty: float, language: str = "en") -> Callable:
    """open-r1's factory for `repetition_penalty_reward` (arXiv:2502.03373, appendix C.2)."""
    if max_penalty > 0:
        raise ValueError(f"max_penalty {max_penalty} should not be positive: it is a penalty.")
    if ngram_size < 1:
        raise ValueError(f"ngram_size must be at least 1, got {ngram_size}.")
    if language not in ("en", "zh"):
        raise ValueError(f"Repetition penalty language {language!r} is not supported: use 'en' or 'zh'.")
    if language == "zh":
        try:
            import jieba  # noqa: F401
        except ImportError as error:
            raise ImportError("The 'zh' repetition penalty segments words with jieba: pip install jieba.") from error
    return _named(
        functools.partial(
            repetition_penalty_reward, ngram_size=ngram_size, max_penalty=max_penalty, language=language
        ),
        repetition_penalty_reward,
    )


def soft_overlong_punishment_reward(
    completion_ids: list[list[int]], *, max_completion_len: int = 16384, soft_punish_cache: int = 4096, **kwargs
) -> list[float]:
    """DAPO's soft overlong punishment (arXiv:2503.14476) on completion lengths in tokens: 0 up to
    max_completion_len - soft_punish_cache, then falling linearly to -1 at max_completion_len, -1 beyond."""
    start = max_completion_len - soft_punish_cache
    rewards = []
    for ids in completion_ids:
        length = len(ids)
        if length <= start:
            rewards.append(0.0)
        elif length <= max_completion_len:
            rewards.append((start - length) / soft_punish_cache)
        else:
            rewards.append(-1.0)
    return rewards


def get_soft_overlong_punishment(max_completion_len: int, soft_punish_cache: int) -> Callable:
    """open-r1's factory for `soft_overlong_punishment_reward`."""
    if not 0 <= soft_punish_cache <= max_completion_len:
        raise ValueError(
            f"soft_punish_cache ({soft_punish_cache}) must be between 0 and max_completion_len ({max_completion_len})."
        )
    return _named(
        functools.partial(
            soft_overlong_punishment_reward, max_completion_len=max_completion_len, soft_punish_cache=soft_punish_cache
        ),
        soft_overlong_punishment_reward,
    )
