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
"""IOI subtask scoring and Codeforces scoring, with open-r1's semantics, on any judge (judges.py).

IOI: a subtask scores the minimum of its tests' scores (times its points for the weighted score); tests run in
batches of `test_batch_size` and the rest are skipped once a test scores 0; results are cached per test name, so
subtasks sharing tests run them once. Codeforces: `pass_fail` (1 if every test passes), `partial` (fraction
passed) or `weighted_sum` (pass_fail + 0.1 * partial); a submission that does not compile scores -0.1, a missing
one -1.0, a problem without tests None (open-r1's values).
"""

import asyncio
from dataclasses import dataclass, field

from .judges import CE, MLE, TLE, WRONG, Verdict


STATUS_PRIORITY = {"CE": -1, "RE": 0, "WA": 1, "MLE": 2, "TLE": 3, "PA": 4, "AC": 5, "SKIPPED": 999}


def batched(items: list, size: int) -> list[list]:
    size = size if size >= 1 else len(items) or 1
    return [items[i : i + size] for i in range(0, len(items), size)]


def status_of(score: float, feedback: str) -> str:
    if score == 0.0:
        for marker, status in ((CE, "CE"), (MLE, "MLE"), (TLE, "TLE"), (WRONG, "WA")):
            if marker in feedback:
                return status
        return "RE"
    return "AC" if score == 1.0 else "PA"


@dataclass
class TestResult:
    test_name: str
    score: float = 0.0
    status: str = "SKIPPED"
    feedback: str | None = None


@dataclass
class SubtaskResult:
    problem: str | None = None
    subtask: str | None = None
    points: float = 0.0
    score_precision: int = 2
    test_results: list[TestResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        return min((t.status for t in self.test_results), key=STATUS_PRIORITY.__getitem__, default="SKIPPED")

    @property
    def score(self) -> float:
        return round(min(t.score for t in self.test_results), self.score_precision) if self.test_results else 0.0

    @property
    def weighted_score(self) -> float:
        return round(self.score * self.points, self.score_precision)


def _ioi_tests(subtask: dict) -> dict[str, tuple[str, str]]:
    cases = subtask.get("test_cases")
    if cases is None:
        raise ValueError(
            f"IOI subtask {subtask.get('id')}/{subtask.get('subtask')} has no `test_cases` column: add the tests "
            "to the rows (open-r1 loads them from the open-r1/ioi-test-cases dataset)."
        )
    names = subtask.get("test_names") or [str(i) for i in range(len(cases))]
    if isinstance(cases, dict):
        return {
            name: (case["input"], case["output"]) if isinstance(case, dict) else tuple(case)
            for name, case in cases.items()
        }
    return {
        name: (case["input"], case["output"]) if isinstance(case, dict) else tuple(case)
        for name, case in zip(names, cases)
    }


async def score_subtask(judge, subtask: dict, submission: str, test_batch_size: int = 1, cache=None) -> SubtaskResult:
    """One IOI subtask (a dataset row: id, subtask, score, test_names, test_cases, time_limit, memory_limit,
    grader_files)."""
    tests = _ioi_tests(subtask)
    names = list(subtask.get("test_names") or tests)
    result = SubtaskResult(
        problem=subtask.get("id"),
        subtask=subtask.get("subtask"),
        points=float(subtask.get("score", 1.0) or 0.0),
        score_precision=int(subtask.get("score_precision", 2) or 2),
        test_results=[(cache or {}).get(name) or TestResult(test_name=name) for name in names],
    )
    if not submission:
        result.test_results = [TestResult(name, 0.0, "CE", "Compilation error: no code") for name in names]
        return result
    if any(t.status != "SKIPPED" and t.score == 0.0 for t in result.test_results):
        return result  # a cached failure decides the subtask
    todo = [(i, name) for i, name in enumerate(names) if result.test_results[i].status == "SKIPPED"]
    grader_files = dict(subtask.get("grader_files") or [])
    for batch in batched(todo, test_batch_size):
        verdicts: list[Verdict] = await asyncio.gather(
            *(
                judge.judge(
                    submission,
                    "cpp",
                    tests[name][0],
                    tests[name][1],
                    float(subtask.get("time_limit", 2.0)),
                    int(subtask.get("memory_limit", 256)),
                    grader_files,
                )
                for _, name in batch
            )
        )
        for (i, name), verdict in zip(batch, verdicts):
            test = TestResult(name, verdict.score, status_of(verdict.score, verdict.feedback), verdict.feedback)
            result.test_results[i] = test
            if cache is not None:
                cache[name] = test
        if any(v.score == 0.0 for v in verdicts):
            break
    return result


def cf_tests(problem: dict) -> list[dict]:
    tests = problem.get("official_tests") or problem.get("test_cases")
    if tests is None and isinstance(problem.get("verification_info"), dict):
        tests = problem["verification_info"].get("test_cases")
    return list(tests or [])


async def score_cf_submission(
    judge,
    problem: dict,
    submission: str,
    test_batch_size: int = 1,
    scoring_mode: str = "weighted_sum",
    no_compile_reward: float = -0.1,
    no_submission_reward: float = -1.0,
) -> float | None:
    """One Codeforces submission (a dataset row: official_tests, time_limit, memory_limit, language)."""
    if scoring_mode not in ("pass_fail", "partial", "weighted_sum"):
        raise ValueError(f"Invalid Codeforces scoring mode {scoring_mode!r}: use pass_fail, partial or weighted_sum.")
    tests = cf_tests(problem)
    if not tests:
        return None  # not a coding problem: cannot judge
    if not submission:
        return no_submission_reward
    passed = 0
    for batch in batched(tests, test_batch_size):
        verdicts = await asyncio.gather(
            *(
                judge.judge(
                    submission,
                    problem.get("language") or "cpp",
                    test["input"],
                    test["output"],
                    float(problem.get("time_limit", 2.0) or 2.0),
                    int(problem.get("memory_limit", 256) or 256),
                )
                for test in batch
            )
        )
        if any(v.feedback.startswith(CE) for v in verdicts):
            return no_compile_reward
        ok = [v.score == 1.0 for v in verdicts]
        passed += sum(ok)
        if scoring_mode == "pass_fail" and not all(ok):
            break
    fraction = passed / len(tests)
    all_passed = 1.0 if passed == len(tests) else 0.0
    if scoring_mode == "pass_fail":
        return all_passed
    if scoring_mode == "partial":
        return fraction
    return all_passed + 0.1 * fraction
