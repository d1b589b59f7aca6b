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
"""Reward functions for GRPO, with open-r1's names, signatures and semantics, on trl 1.x's reward contract.

trl calls each reward as `reward(prompts=..., completions=..., completion_ids=..., **columns)` where `completions`
is a list of plain strings or of conversations (`[{"role": "assistant", "content": ...}]`), every other dataset
column arrives as a keyword of the same name (one value per completion), and a reward of `None` means "cannot
judge this row" (trl skips it). Every reward here accepts both completion forms and ignores keywords it does not use.

Where this differs from open-r1, on purpose (each has a test):
- `verify(gold, answer)` in every math reward; open-r1's `len_reward` and `cosine_scaled_reward` call
  `verify(answer, gold)`, which is not symmetric for sets, intervals and relations.
- One policy for a gold that cannot be parsed: the row scores `None` in `accuracy`, `length` and `cosine` (open-r1
  scores it None, "correct" and 1.0 respectively).
- Math is verified in worker processes with a hard deadline (`utils/math_verification.py`): math-verify is silently
  wrong off the main thread, and cannot stop some expressions at all.
- `cosine`: a completion longer than `max_len` gets the long-end value; open-r1's cosine turns back up past it.
- `length`: Kimi 1.5 normalises lengths within each prompt's group of completions, not across the whole batch.
- `format`/`tag_count`/`code_format` can accept completions whose `<think>` was pre-filled by the chat template.
- `code`: every expected output line must match (open-r1's `zip` passed a program that printed too few lines);
  `ioi_code`/`cf_code` ignore trl's non-column keywords (`trainer_state`, `log_metric`, ...).

Code runs through `execute_scripts` (utils/code_execution/providers.py: the local sandbox, E2B, Morph, routers) and
`score_submissions` (utils/code_execution/competitive_programming: IOI/Codeforces judges); docs/sandbox.md says what the local
sandbox guarantees.

A new reward is one function here plus one line in `_REGISTRY`.
"""

import functools
import json
import logging
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from .utils.code_execution.evaluation_script import code_evaluation_script
from .utils.math_verification import configure_math_verifier, get_math_verifier


if TYPE_CHECKING:
    from .configs import GRPOScriptArguments

logger = logging.getLogger(__name__)

Completion = str | list[dict[str, Any]]


# --------------------------------------------------------------------------------------------------------------------
# Completions
# --------------------------------------------------------------------------------------------------------------------


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if content is None:  # e.g. an assistant turn that only calls a tool
        return ""
    if isinstance(content, str):
        return content
    # Multimodal content blocks: keep the text ones.
    return "".join(block.get("text", "") for block in content if isinstance(block, dict))


def completion_text(completion: Completion) -> str:
    """The text of one completion: the string itself, or the last assistant turn of a conversation."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _message_text(completion)
    if not completion:
        return ""
    for message in reversed(completion):
        if message.get("role", "assistant") == "assistant":
            return _message_text(message)
    return _message_text(completion[-1])


def _texts(completions: list[Completion]) -> list[str]:
    return [completion_text(completion) for completion in completions]


def _think_prefilled(text: str) -> str:
    # DeepSeek-R1-Distill templates end the prompt with "<think>\n": the completion starts inside the block.
    return text if text.lstrip().startswith("<think>") else "<think>\n" + text


def _columns(kwargs: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Rows of the dataset columns trl passed as keywords, without its helpers (trainer_state, log_metric, ...)."""
    columns = {k: v for k, v in kwargs.items() if isinstance(v, list | tuple) and len(v) == n}
    return [dict(zip(columns, values)) for values in zip(*columns.values())] if columns else [{} for _ in range(n)]


# --------------------------------------------------------------------------------------------------------------------
# Math
# --------------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------------
# Format and style
# --------------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------------
# Code
# --------------------------------------------------------------------------------------------------------------------


def extract_code(completion: str, language: str = "python") -> str:
    """The last ```language fenced block of a completion, or "" when there is none."""
    matches = re.findall(rf"```{re.escape(language)}\n(.*?)```", completion, re.DOTALL)
    return matches[-1] if matches else ""


def code_format_reward(
    completions: list[Completion], *, language: str = "python", think_prefilled: bool = False, **kwargs
) -> list[float]:
    """1.0 if the completion is in the think/answer format and its answer holds a ```language block, else 0.0.

    open-r1's regex r"^<think>\\n.*?\\n</think>\\n<answer>\\n.*?```{language}.*?```.*?\\n</answer>$", matched in linear
    time. Format only, as open-r1: whether the code runs is the `code` reward's job (and a syntax check would only
    cover Python).
    """
    texts = _texts(completions)
    if think_prefilled:
        texts = [_think_prefilled(text) for text in texts]
    return [1.0 if _is_think_answer(text, fence=language) else 0.0 for text in texts]


def get_code_format_reward(language: str = "python", think_prefilled: bool = False) -> Callable:
    """open-r1's factory for `code_format_reward`."""
    return _named(
        functools.partial(code_format_reward, language=language, think_prefilled=think_prefilled), code_format_reward
    )


def execute_scripts(
    scripts: list[str], languages: list[str], provider_type: str, num_parallel: int = 2, **provider_kwargs
) -> list[float | None]:
    """Runs each script in a sandbox of `provider_type` and returns what it reports (a pass rate), None on failure.

    The one door between the code rewards and their execution backends (utils/code_execution/providers.py).
    """
    from .utils.code_execution.providers import get_provider

    provider = get_provider(provider_type=provider_type, num_parallel=num_parallel, **provider_kwargs)
    return provider.execute_scripts(scripts, languages)


def code_reward(
    completions: list[Completion],
    num_parallel: int = 2,
    provider_type: str = "e2b",
    enforce_same_language: bool = False,
    **kwargs,
) -> list[float | None]:
    """Fraction of the `verification_info` test cases that the completion's last code block passes.

    `verification_info` (one per row): {"language": "python", "test_cases": [{"input": ..., "output": ...}, ...]}.
    A completion without a code block scores 0.0 without running anything. Keywords in `_PROVIDER_OPTIONS`
    (router URLs; the local sandbox's `timeout_s`, `memory_mb`, `max_processes`, `max_output_bytes`) configure
    the provider.
    """
    if "verification_info" not in kwargs:
        raise ValueError("The code rewards need a `verification_info` column (language and test_cases per row).")
    infos = [_verification_info(info) for info in kwargs["verification_info"]]
    languages = [info.get("language", "python") for info in infos]
    if enforce_same_language and len(set(languages)) > 1:
        raise ValueError(
            f"enforce_same_language is set but verification_info mixes languages {sorted(set(languages))}."
        )
    codes = [extract_code(text, language) for text, language in zip(_texts(completions), languages)]
    rewards: list[float | None] = [0.0] * len(codes)
    todo = [i for i, code in enumerate(codes) if code.strip()]
    if not todo:
        return rewards
    scripts = [code_evaluation_script(codes[i], infos[i]["test_cases"], languages[i]) for i in todo]
    provider_kwargs = {k: kwargs[k] for k in _PROVIDER_OPTIONS if kwargs.get(k) is not None}
    results = execute_scripts(scripts, ["python"] * len(scripts), provider_type, num_parallel, **provider_kwargs)
    for i, result in zip(todo, results):
        rewards[i] = result
    return rewards


# Keywords of code_reward that configure its provider (router URLs; the local sandbox's limits).
_PROVIDER_OPTIONS = (
    "e2b_router_url",
    "morph_router_url",
    "local_router_url",
    "timeout_s",
    "memory_mb",
    "max_processes",
    "max_output_bytes",
)
BINARY_THRESHOLD = 0.99


def binary_code_reward(
    completions: list[Completion],
    num_parallel: int = 2,
    provider_type: str = "e2b",
    enforce_same_language: bool = False,
    **kwargs,
) -> list[float | None]:
    """1.0 if the completion passes (more than 99% of) its test cases, else 0.0; None where execution failed."""
    rewards = code_reward(
        completions,
        num_parallel=num_parallel,
        provider_type=provider_type,
        enforce_same_language=enforce_same_language,
        **kwargs,
    )
    return [None if reward is None else (1.0 if reward > BINARY_THRESHOLD else 0.0) for reward in rewards]


def _verification_info(info: Any) -> dict[str, Any]:
    # Hub datasets store it as a dict; CSV/JSON exports as a JSON string.
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError as error:
            raise ValueError(f"verification_info is not valid JSON: {info[:200]!r}") from error
    if not isinstance(info, dict) or "test_cases" not in info:
        raise ValueError(f"verification_info must be a mapping with 'test_cases', got {str(info)[:200]!r}.")
    return info


def add_ioi_includes(code: str, problem_id: str) -> str:
    """IOI graders compile the submission with the problem's header; add it (and bits/stdc++) if missing."""
    if not code:
        return code
    header = f'#include "{problem_id}.h"'
    prefix = ""
    if "bits/stdc++.h" not in code:
        prefix += "#include <bits/stdc++.h>\n"
    if header not in code:
        prefix += header + "\n"
    if "using namespace std;" not in code and "std::" not in code:
        prefix += "\nusing namespace std;\n\n"
    return prefix + code


def cf_score(
    passed: list[bool], scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = "weighted_sum"
) -> float:
    """Codeforces score from per-test results: pass_fail (all or nothing), partial (fraction passed) or
    weighted_sum (pass_fail + 0.1 * partial, so a full solve scores 1.1)."""
    if not passed:
        raise ValueError("No test results to score.")
    fraction = sum(map(bool, passed)) / len(passed)
    all_passed = 1.0 if fraction == 1.0 else 0.0
    if scoring_mode == "pass_fail":
        return all_passed
    if scoring_mode == "partial":
        return fraction
    if scoring_mode == "weighted_sum":
        return all_passed + 0.1 * fraction
    raise ValueError(f"Invalid Codeforces scoring mode {scoring_mode!r}: use pass_fail, partial or weighted_sum.")


def score_submissions(
    benchmark: Literal["ioi", "cf"], problems: list[dict], codes: list[str], provider_type: str, **options
) -> list[float | None]:
    """Judges competitive-programming submissions (IOI subtasks, Codeforces tests) on an execution backend."""
    try:
        from .utils.code_execution.competitive_programming import score_submissions as backend
    except ImportError:
        backend = None
    if backend is None:
        raise NotImplementedError(
            f"The {benchmark} judge on provider {provider_type!r} is not available: "
            "open_r1.utils.code_execution.competitive_programming is not installed in this version."
        )
    return backend(benchmark, problems, codes, provider_type=provider_type, **options)


def ioi_code_reward(
    completions: list[Completion], test_batch_size: int = 1, provider_type: str = "piston", **kwargs
) -> list[float | None]:
    """IOI subtask score of the completion's last ```cpp block (the dataset row is the problem: id, subtask, tests)."""
    problems = _columns(kwargs, len(completions))
    codes = [
        add_ioi_includes(extract_code(text, "cpp"), str(problem.get("id", "")))
        for text, problem in zip(_texts(completions), problems)
    ]
    return score_submissions("ioi", problems, codes, provider_type, test_batch_size=test_batch_size)


def cf_code_reward(
    completions: list[Completion],
    test_batch_size: int = 1,
    patch_code: bool = False,
    scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = "weighted_sum",
    provider_type: str = "piston",
    **kwargs,
) -> list[float | None]:
    """Codeforces score (see `cf_score`) of the completion's last code block in the row's `language` (cpp default)."""
    if scoring_mode not in ("pass_fail", "partial", "weighted_sum"):
        raise ValueError(f"Invalid Codeforces scoring mode {scoring_mode!r}: use pass_fail, partial or weighted_sum.")
    problems = _columns(kwargs, len(completions))
    codes = [
        extract_code(text, problem.get("language") or "cpp") for text, problem in zip(_texts(completions), problems)
    ]
    if patch_code:
        from .utils.code_execution.competitive_programming import patch_code as patch

        codes = [patch(code, problem.get("language") or "cpp") for code, problem in zip(codes, problems)]
    return score_submissions(
        "cf",
        problems,
        codes,
        provider_type,
        test_batch_size=test_batch_size,
        scoring_mode=scoring_mode,
    )


# --------------------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------------------


def _named(partial: functools.partial, func: Callable) -> functools.partial:
    """A partial that logs under `func`'s name (trl names reward columns after `__name__`)."""
    return functools.update_wrapper(partial, func)


def _bind(func: Callable, **options) -> Callable:
    return _named(functools.partial(func, **options), func) if options else func


_REGISTRY: dict[str, Callable[["GRPOScriptArguments"], Callable]] = {
    "accuracy": lambda a: accuracy_reward,
    "format": lambda a: _bind(format_reward, **_prefill(a)),
    "reasoning_steps": lambda a: reasoning_steps_reward,
    "cosine": lambda a: get_cosine_scaled_reward(
        min_value_wrong=a.cosine_min_value_wrong,
        max_value_wrong=a.cosine_max_value_wrong,
        min_value_correct=a.cosine_min_value_correct,
        max_value_correct=a.cosine_max_value_correct,
        max_len=a.cosine_max_len,
    ),
    "repetition_penalty": lambda a: get_repetition_penalty_reward(
        ngram_size=a.repetition_n_grams, max_penalty=a.repetition_max_penalty, language=a.repetition_language
    ),
    "length": lambda a: len_reward,
    "code": lambda a: _bind(code_reward, **_code_options(a)),
    "binary_code": lambda a: _bind(binary_code_reward, **_code_options(a)),
    "ioi_code": lambda a: _bind(
        ioi_code_reward,
        test_batch_size=a.code_eval_test_batch_size,
        provider_type=a.ioi_provider,
    ),
    "cf_code": lambda a: _bind(
        cf_code_reward,
        test_batch_size=a.code_eval_test_batch_size,
        scoring_mode=a.code_eval_scoring_mode,
        provider_type=a.cf_provider,
    ),
    "code_format": lambda a: get_code_format_reward(
        language=a.code_language, think_prefilled=a.format_think_prefilled
    ),
    "tag_count": lambda a: _bind(tag_count_reward, **_prefill(a)),
    "soft_overlong_punishment": lambda a: get_soft_overlong_punishment(
        max_completion_len=a.max_completion_len, soft_punish_cache=a.soft_punish_cache
    ),
}

REWARD_NAMES: frozenset[str] = frozenset(_REGISTRY)


def _prefill(args: "GRPOScriptArguments") -> dict[str, bool]:
    return {"think_prefilled": True} if args.format_think_prefilled else {}


def _code_options(args: "GRPOScriptArguments") -> dict[str, Any]:
    options = {
        "num_parallel": args.parallel_code_exec_per_proc,
        "provider_type": args.code_provider,
        "enforce_same_language": args.enforce_same_language,
    }
    for name in ("e2b_router_url", "morph_router_url", "local_router_url"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if options["provider_type"] == "local" and not options.get("local_router_url"):
        # The sandbox's limits (GRPOScriptArguments.code_*), and a probe of this machine now, before a model is
        # loaded: it fails fast where no isolation works and logs every guarantee that is missing.
        for name in _LOCAL_LIMITS:
            options[name] = getattr(args, "code_" + name)
        from .utils.code_execution.sandbox import detect_isolation

        detect_isolation()
    return options


# The local sandbox's limits, read from GRPOScriptArguments.code_<name>.
_LOCAL_LIMITS = ("timeout_s", "memory_mb", "max_processes", "max_output_bytes")


def get_reward_funcs(script_args: "GRPOScriptArguments") -> list[Callable]:
    """The reward functions named in `script_args.reward_funcs`, in that order, configured from `script_args`."""
    unknown = [name for name in script_args.reward_funcs if name not in _REGISTRY]
    if unknown:
        raise ValueError(f"Unknown reward function(s) {unknown} in `reward_funcs`. Known: {sorted(REWARD_NAMES)}.")
    if _MATH_REWARDS & set(script_args.reward_funcs):
        options = {}
        if script_args.math_verify_timeout is not None:
            options["timeout_s"] = script_args.math_verify_timeout
        if script_args.math_verify_workers is not None:
            options["num_workers"] = script_args.math_verify_workers
        if options:
            configure_math_verifier(**options)
        get_math_verifier().start()  # workers warm up in the background while the model loads
    return [_REGISTRY[name](script_args) for name in script_args.reward_funcs]


_MATH_REWARDS = {"accuracy", "cosine", "length"}
