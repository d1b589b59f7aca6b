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
"""Math rewards: correctness of the final answer (`accuracy`), and correctness weighed by length (`length`,
`cosine`). Every answer goes through the one verifier of utils/math_verification.py, `verify(gold, answer)`."""

import functools
import logging
import math
from collections.abc import Callable
from typing import Any

from ..utils.math_verification import get_math_verifier
from .common import Completion, _named, _texts


logger = logging.getLogger(__name__)


def verify_answers(golds: list[Any], contents: list[str], log_metric: Callable | None = None) -> list[float | None]:
    """1.0/0.0 per answer, `verify(gold, answer)`; None where the gold is missing or cannot be parsed."""
    if len(golds) != len(contents):
        raise ValueError(
            f"Got {len(golds)} gold solutions for {len(contents)} completions; expected one per completion."
        )
    usable = [i for i, gold in enumerate(golds) if gold is not None and str(gold).strip()]
    results: list[float | None] = [None] * len(golds)
    verifier = get_math_verifier()
    scores = verifier.verify([str(golds[i]) for i in usable], [contents[i] for i in usable])
    for i, score in zip(usable, scores):
        results[i] = score
    stats = verifier.last_stats
    if log_metric is not None and stats.unique:
        log_metric("math_verify/time_s", stats.wall_s)
        log_metric("math_verify/timeouts", float(stats.timeouts + stats.gold_timeouts))
    unparseable = len(usable) - sum(score is not None for score in scores) + len(golds) - len(usable)
    if unparseable:
        logger.warning(
            "%d of %d rows could not be judged (gold missing, unparseable or too slow to parse): they score None.",
            unparseable,
            len(golds),
        )
    return results


def accuracy_reward(completions: list[Completion], solution: list[str], **kwargs) -> list[float | None]:
    """1.0 if the completion's (boxed) final answer equals the gold `solution`, else 0.0.

    None where the gold cannot be parsed. The gold is parsed with math-verify's defaults (LaTeX or a plain number);
    the answer only from LaTeX, boxed first, never from a bare number in the reasoning.
    """
    return verify_answers(solution, _texts(completions), kwargs.get("log_metric"))


def len_reward(completions: list[Completion], solution: list[str], **kwargs) -> list[float | None]:
    """Kimi 1.5 length reward (arXiv:2501.12599): favour short right answers, penalise long wrong ones.

    Within each prompt's group: lambda = 0.5 - (len - min_len) / (max_len - min_len); right answers get lambda, wrong
    ones min(0, lambda); a group whose lengths are all equal gets 0. Rows with an unparseable gold get None and do not
    count towards their group's lengths. Groups are the completions of one prompt (`prompts`, passed by trl), or of
    one solution when called without prompts.
    """
    contents = _texts(completions)
    correct = verify_answers(solution, contents, kwargs.get("log_metric"))
    prompts = kwargs.get("prompts")
    keys = (
        [repr(p) for p in prompts]
        if prompts is not None and len(prompts) == len(contents)
        else list(map(repr, solution))
    )
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if correct[i] is not None:
            groups.setdefault(key, []).append(i)
    rewards: list[float | None] = [None] * len(contents)
    for members in groups.values():
        lengths = [len(contents[i]) for i in members]
        shortest, longest = min(lengths), max(lengths)
        for i, length in zip(members, lengths):
            if longest == shortest:
                rewards[i] = 0.0
                continue
            lam = 0.5 - (length - shortest) / (longest - shortest)
            rewards[i] = float(lam if correct[i] else min(0.0, lam))
    return rewards


def cosine_scaled_reward(
    completions: list[Completion],
    solution: list[str],
    *,
    min_value_wrong: float = -1.0,
    max_value_wrong: float = -0.5,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    max_len: int = 1000,
    **kwargs,
) -> list[float | None]:
    """Length-scaled correctness (arXiv:2502.03373): right answers score max_value_correct when short, falling to
    min_value_correct at `max_len` characters; wrong answers score min_value_wrong when short, rising to
    max_value_wrong at `max_len` (so a long wrong attempt is penalised less than a short guess)."""
    contents = _texts(completions)
    correct = verify_answers(solution, contents, kwargs.get("log_metric"))
    rewards: list[float | None] = []
    for content, is_correct in zip(contents, correct):
        if is_correct is None:
            rewards.append(None)
            continue
        progress = min(1.0, len(content) / max_len)  # past max_len the reward stays at its long-end value
        cosine = math.cos(progress * math.pi)
        if is_correct:
            lo, hi = min_value_correct, max_value_correct
        else:  # swapped: for wrong answers the short end is the low one
            lo, hi = max_value_wrong, min_value_wrong
        rewards.append(float(lo + 0.5 * (hi - lo) * (1.0 + cosine)))
    return rewards


def get_cosine_scaled_reward(
    min_value_wrong: float = -1.0,
    max_value_wrong: float = -0.5,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    max_len: int = 1000,
) -> Callable:
    """open-r1's factory for `cosine_scaled_reward`."""
    if max_len <= 0:
        raise ValueError(f"cosine max_len must be a positive number of characters, got {max_len}.")
    return _named(
        functools.partial(
            cosine_scaled_reward,
            min_value_wrong=min_value_wrong,
            max_value_wrong=max_value_wrong,
            min_value_correct=min_value_correct,
            max_value_correct=max_value_correct,
            max_len=max_len,
        ),
        cosine_scaled_reward,
    )
