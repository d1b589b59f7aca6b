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
"""Competitive-programming judging for the `ioi_code` and `cf_code` rewards (open-r1's competitive_programming).

    scoring.py       IOI subtask scoring and Codeforces scoring (pass_fail, partial, weighted_sum)
    judges.py        where submissions run: LocalJudge (this machine's sandbox, g++/python3) or PistonJudge
    code_patcher.py  open-r1's fixes for old Python submissions (Python 2 idioms) and the IOI includes

Morph: open-r1's Morph judge started MorphCloud instances through an SDK API that the installed morphcloud no
longer has; `get_judge("morph")` says so instead of failing mid-training.
"""

import asyncio
import logging

from ..providers import run_async
from .code_patcher import patch_code
from .judges import LocalJudge, PistonJudge, Verdict, get_judge
from .scoring import SubtaskResult, TestResult, score_cf_submission, score_subtask


logger = logging.getLogger(__name__)


def score_submissions(
    benchmark: str,
    problems: list[dict],
    codes: list[str],
    provider_type: str = "piston",
    test_batch_size: int = 1,
    scoring_mode: str = "weighted_sum",
    num_parallel: int = 2,
) -> list[float | None]:
    """Scores of `codes` on `problems` (dataset rows): IOI subtask score in [0, 1], or the Codeforces score.
    A judge failure on one submission scores None (cannot judge) and is logged."""
    if benchmark not in ("ioi", "cf"):
        raise ValueError(f"Unknown benchmark {benchmark!r}: use ioi or cf.")
    judge = get_judge(provider_type, num_parallel)
    cache: dict[tuple, dict] = {}

    async def one(problem: dict, code: str) -> float | None:
        try:
            if benchmark == "ioi":
                key = (problem.get("id"), code)
                result = await score_subtask(judge, problem, code, test_batch_size, cache.setdefault(key, {}))
                return result.score
            return await score_cf_submission(judge, problem, code, test_batch_size, scoring_mode)
        except (ValueError, RuntimeError, OSError) as error:
            if isinstance(error, ValueError) and "test_cases" in str(error):
                raise
            logger.warning("The %s judge failed on a submission (it scores None): %s", benchmark, error)
            return None

    async def run_all():
        return await asyncio.gather(*(one(problem, code) for problem, code in zip(problems, codes)))

    return run_async(run_all())


__all__ = [
    "LocalJudge",
    "PistonJudge",
    "SubtaskResult",
    "TestResult",
    "Verdict",
    "get_judge",
    "patch_code",
    "score_cf_submission",
    "score_submissions",
    "score_subtask",
]
