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
"""Code rewards: `code`/`binary_code` (test cases run by a provider), `ioi_code`/`cf_code` (IOI and Codeforces
judges) and `code_format`. The code is run by utils/code_execution, through `execute_scripts` and
`score_submissions`, the one door to each backend: tests replace them to judge without running anything."""

import functools
import json
import re
from collections.abc import Callable
from typing import Any, Literal

from ..utils.code_execution.evaluation_script import code_evaluation_script
from .common import Completion, _columns, _named, _texts, _think_prefilled
from .format import _is_think_answer


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
    from ..utils.code_execution.providers import get_provider

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
    # Imported on first use: the judges and their execution backends take ~0.2 s to import, which only the
    # competitive-programming rewards need.
    from ..utils.code_execution.competitive_programming import score_submissions as backend

    return backend(benchmark, problems, codes, provider_type=provider_type, **options)


def ioi_code_reward(
    completions: list[Completion], test_batch_size: int = 1, provider_type: str = "piston", **kwargs
) -> list[float | None]:
    """IOI subtask score of the completion's last ```cpp block (the dataset row is the problem: id, subtask, tests)."""
    problems = _columns(kwargs, len(completions))
    # The submission includes the problem's header, `<id>.h`: without an id every submission would fail to compile
    # and score 0, silently.
    if any(not problem.get("id") for problem in problems):
        raise ValueError("ioi_code_reward needs the IOI problem's `id` in every row (its grader header is `<id>.h`).")
    codes = [
        add_ioi_includes(extract_code(text, "cpp"), str(problem["id"]))
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
        from ..utils.code_execution.competitive_programming import patch_code as patch

        codes = [patch(code, problem.get("language") or "cpp") for code, problem in zip(codes, problems)]
    return score_submissions(
        "cf",
        problems,
        codes,
        provider_type,
        test_batch_size=test_batch_size,
        scoring_mode=scoring_mode,
    )
