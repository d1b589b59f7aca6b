"""The IOI and Codeforces scoring rules on the dataset rows as they come (scoring.py), judge by judge call.

The scoring is the same on every judge, so these tests use a judge that decides in-process: a submission is a Python
expression of the test's input `x`, right when it prints the expected tokens. It answers with the judges' own
feedback strings, and it records what it was asked, so the tests see what a real judge would be sent: the right test
input and expected output, the problem's limits and grader files, and how many tests run before scoring stops. The
real judges (g++ in the sandbox, Piston) are tested in test_competitive_programming.py.
"""

import pytest

from open_r1.utils.code_execution.competitive_programming import score_cf_submission, score_subtask
from open_r1.utils.code_execution.competitive_programming.judges import CE, CORRECT, MLE, WRONG, Verdict
from open_r1.utils.code_execution.competitive_programming.scoring import TestResult as CaseResult
from open_r1.utils.code_execution.competitive_programming.scoring import status_of
from open_r1.utils.code_execution.providers import run_async


NO_COMPILE = "this does not compile"


class ExpressionJudge:
    def __init__(self):
        self.calls = []

    async def judge(
        self, submission, language, test_input, expected, time_limit_s=2.0, memory_mb=256, grader_files=None
    ):
        self.calls.append(
            {
                "input": test_input,
                "expected": expected,
                "time": time_limit_s,
                "memory": memory_mb,
                "graders": grader_files,
            }
        )
        if submission == NO_COMPILE:
            return Verdict(0.0, f"{CE}: expected ';'")
        output = str(eval(submission, {}, {"x": test_input}))
        return Verdict(1.0, CORRECT) if output.split() == expected.split() else Verdict(0.0, WRONG)


DOUBLE = "2 * int(x)"  # right on every test below
ONLY_SMALL = "2 * int(x) if int(x) < 10 else 0"  # right on inputs under 10


def ioi_row(**fields):
    row = {"id": "doubler", "subtask": "02-all", "score": 30, "test_names": ["t1", "t2", "t3"]}
    row["test_cases"] = [["1", "2"], ["20", "40"], ["3", "6"]]
    return {**row, **fields}


def score(row, submission, **kwargs):
    judge = ExpressionJudge()
    return run_async(score_subtask(judge, row, submission, **kwargs)), judge


def test_an_ioi_subtask_reports_its_problem_points_and_each_tests_verdict():
    result, judge = score(ioi_row(time_limit=0.5, memory_limit=64, grader_files=[["grader.h", "int f();"]]), DOUBLE)
    assert (result.problem, result.subtask, result.points) == ("doubler", "02-all", 30.0)
    assert (result.score, result.weighted_score, result.status) == (1.0, 30.0, "AC")
    assert [(t.test_name, t.status, t.feedback) for t in result.test_results] == [
        ("t1", "AC", CORRECT),
        ("t2", "AC", CORRECT),
        ("t3", "AC", CORRECT),
    ]
    # The judge gets each test's input and expected output, and the problem's limits and grader files.
    assert [(c["input"], c["expected"]) for c in judge.calls] == [("1", "2"), ("20", "40"), ("3", "6")]
    assert {(c["time"], c["memory"]) for c in judge.calls} == {(0.5, 64)}
    assert judge.calls[0]["graders"] == {"grader.h": "int f();"}


def test_an_ioi_row_without_limits_runs_with_ioi_defaults_and_one_point():
    row = ioi_row()
    del row["score"]
    result, judge = score(row, DOUBLE)
    assert {(c["time"], c["memory"]) for c in judge.calls} == {(2.0, 256)}
    assert result.weighted_score == 1.0
    result, _ = score(ioi_row(score=None), DOUBLE)
    assert result.weighted_score == 0.0  # a subtask worth nothing (a null score) is worth nothing, not 1 point


@pytest.mark.parametrize(
    "cases",
    [
        {
            "t1": {"input": "1", "output": "2"},
            "t2": {"input": "20", "output": "40"},
            "t3": {"input": "3", "output": "6"},
        },
        {"t1": ["1", "2"], "t2": ["20", "40"], "t3": ["3", "6"]},
        [{"input": "1", "output": "2"}, {"input": "20", "output": "40"}, {"input": "3", "output": "6"}],
    ],
    ids=["by-name-dicts", "by-name-pairs", "list-of-dicts"],
)
def test_every_shape_of_ioi_test_cases_reads_the_same(cases):
    row = ioi_row(test_cases=cases, test_names=None if isinstance(cases, dict) else ["t1", "t2", "t3"])
    result, judge = score(row, ONLY_SMALL, test_batch_size=3)
    assert [(c["input"], c["expected"]) for c in judge.calls] == [("1", "2"), ("20", "40"), ("3", "6")]
    assert [(t.test_name, t.status) for t in result.test_results] == [("t1", "AC"), ("t2", "WA"), ("t3", "AC")]


def test_a_subtask_runs_only_its_own_tests_of_the_problems_test_cases():
    # open-r1 keeps one dict of test cases per problem; each subtask row names the tests that are its own.
    problem_tests = {"t1": ["1", "2"], "t2": ["20", "40"], "t3": ["3", "6"], "t4": ["4", "8"]}
    result, judge = score(ioi_row(test_cases=problem_tests, test_names=["t3", "t1"]), ONLY_SMALL, test_batch_size=4)
    assert [(c["input"], c["expected"]) for c in judge.calls] == [("3", "6"), ("1", "2")]
    assert [(t.test_name, t.status) for t in result.test_results] == [("t3", "AC"), ("t1", "AC")]
    assert result.score == 1.0  # t2, which this submission fails, belongs to another subtask


def test_ioi_tests_without_names_are_numbered():
    result, _ = score(ioi_row(test_names=None), ONLY_SMALL, test_batch_size=3)
    assert [(t.test_name, t.status) for t in result.test_results] == [("0", "AC"), ("1", "WA"), ("2", "AC")]


def test_an_ioi_subtask_stops_at_its_first_failing_test_by_default():
    result, judge = score(ioi_row(test_cases=[["20", "40"], ["1", "2"], ["3", "6"]]), ONLY_SMALL)
    assert len(judge.calls) == 1
    assert [(t.test_name, t.status) for t in result.test_results] == [
        ("t1", "WA"),
        ("t2", "SKIPPED"),
        ("t3", "SKIPPED"),
    ]


def test_the_score_precision_comes_from_the_row():
    third = ioi_row(test_cases=[["1", "2"]], test_names=["t1"])
    cached = {"t1": CaseResult("t1", 1 / 3, "PA", "partial")}
    for precision, expected in ((3, 0.333), (None, 0.33), ("absent", 0.33)):
        row = {**third, "score_precision": precision}
        if precision == "absent":
            del row["score_precision"]
        result, judge = score(row, DOUBLE, cache=dict(cached))
        assert result.score == expected, precision


def test_cached_results_decide_or_resume_a_subtask():
    # A cached pass does not decide the subtask: the other tests still run. A cached failure does, with no judging.
    passed = {"t1": CaseResult("t1", 1.0, "AC", CORRECT)}
    result, judge = score(ioi_row(), DOUBLE, cache=passed)
    assert [c["input"] for c in judge.calls] == ["20", "3"]
    assert result.score == 1.0
    failed = {"t2": CaseResult("t2", 0.0, "WA", WRONG)}
    result, judge = score(ioi_row(), DOUBLE, cache=failed)
    assert judge.calls == [] and result.score == 0.0 and result.status == "WA"


def test_an_empty_ioi_submission_is_a_compilation_error_on_every_test():
    result, judge = score(ioi_row(), "")
    assert judge.calls == []
    assert [(t.test_name, t.score, t.status, t.feedback) for t in result.test_results] == [
        (name, 0.0, "CE", "Compilation error: no code") for name in ("t1", "t2", "t3")
    ]
    assert result.status == "CE"


def test_an_ioi_row_without_test_cases_says_where_they_come_from():
    with pytest.raises(ValueError) as error:
        score(ioi_row(test_cases=None), DOUBLE)
    assert str(error.value) == (
        "IOI subtask doubler/02-all has no `test_cases` column: add the tests to the rows (open-r1 loads them from "
        "the open-r1/ioi-test-cases dataset)."
    )


def test_a_memory_limit_failure_has_its_own_status():
    assert status_of(0.0, MLE) == "MLE"


# --------------------------------------------------------------------------------------------------- Codeforces

CF_TESTS = [{"input": "1", "output": "2"}, {"input": "20", "output": "40"}, {"input": "3", "output": "6"}]


def cf(problem, submission, *args, **kwargs):
    judge = ExpressionJudge()
    return run_async(score_cf_submission(judge, problem, submission, *args, **kwargs)), judge


@pytest.mark.parametrize(
    "problem",
    [
        {"official_tests": CF_TESTS},
        {"test_cases": CF_TESTS},
        {"verification_info": {"test_cases": CF_TESTS}},
        {"official_tests": None, "verification_info": {"test_cases": CF_TESTS}},
    ],
    ids=["official_tests", "test_cases", "verification_info", "null-official_tests"],
)
def test_codeforces_tests_are_found_in_every_dataset_layout(problem):
    score, judge = cf(problem, ONLY_SMALL, 1, "partial")
    assert score == pytest.approx(2 / 3)
    assert [(c["input"], c["expected"]) for c in judge.calls] == [("1", "2"), ("20", "40"), ("3", "6")]


@pytest.mark.parametrize(
    "limits, sent",
    [
        ({}, (2.0, 256)),
        ({"time_limit": None, "memory_limit": None}, (2.0, 256)),
        ({"time_limit": 1.5, "memory_limit": 512}, (1.5, 512)),
    ],
)
def test_codeforces_limits_reach_the_judge_with_defaults_for_missing_ones(limits, sent):
    _, judge = cf({"official_tests": CF_TESTS, **limits}, DOUBLE)
    assert {(c["time"], c["memory"]) for c in judge.calls} == {sent}


def test_partial_scoring_judges_every_test_even_after_a_failure():
    tests = [CF_TESTS[1], CF_TESTS[0], CF_TESTS[2]]  # the failing test first
    assert cf({"official_tests": tests}, ONLY_SMALL, 1, "partial")[0] == pytest.approx(2 / 3)
    assert cf({"official_tests": tests}, ONLY_SMALL, 1, "weighted_sum")[0] == pytest.approx(0.2 / 3)


def test_pass_fail_stops_judging_at_the_first_failing_batch():
    tests = [CF_TESTS[1], CF_TESTS[0], CF_TESTS[2]]
    score, judge = cf({"official_tests": tests}, ONLY_SMALL, scoring_mode="pass_fail")  # default: one test a batch
    assert score == 0.0 and len(judge.calls) == 1
    score, judge = cf({"official_tests": tests}, ONLY_SMALL, 0, "pass_fail")  # batch size 0: all tests at once
    assert score == 0.0 and len(judge.calls) == 3


def test_a_submission_that_does_not_compile_and_an_unknown_mode():
    assert cf({"official_tests": CF_TESTS}, NO_COMPILE, 1, "partial")[0] == -0.1
    with pytest.raises(ValueError) as error:
        cf({"official_tests": CF_TESTS}, DOUBLE, 1, "best_of")
    assert str(error.value) == "Invalid Codeforces scoring mode 'best_of': use pass_fail, partial or weighted_sum."
