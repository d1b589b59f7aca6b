"""IOI and Codeforces scoring on small hand-made problems: local judge (g++/python3 in the sandbox), and the Piston
client against a loopback server that speaks Piston's documented /api/v2/execute shape."""

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from open_r1.rewards import cf_code_reward, ioi_code_reward
from open_r1.utils.code_execution.competitive_programming import (
    LocalJudge,
    PistonJudge,
    get_judge,
    patch_code,
    score_cf_submission,
    score_submissions,
    score_subtask,
)
from open_r1.utils.code_execution.competitive_programming.scoring import SubtaskResult, status_of
from open_r1.utils.code_execution.competitive_programming.scoring import TestResult as CaseResult
from open_r1.utils.code_execution.providers import ProviderUnavailableError, run_async


needs_gpp = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")

SUM_TESTS = [{"input": f"{a} {b}\n", "output": f"{a + b}\n"} for a, b in [(1, 2), (10, 20), (-5, 5)]]
CF_PROBLEM = {"official_tests": SUM_TESTS, "time_limit": 1.0, "memory_limit": 256}
CPP_RIGHT = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}"
CPP_ONLY_FIRST = "#include <iostream>\nint main(){std::cout<<3<<std::endl;}"
CPP_LOOP = "int main(){volatile int x=0; while(true) x++;}"
CPP_BROKEN = "int main( {"


def cpp(code: str) -> str:
    return f"<answer>\n```cpp\n{code}\n```\n</answer>"


@needs_gpp
def test_codeforces_scoring_modes_with_the_local_judge():
    judge = LocalJudge(num_parallel=2)
    score = lambda code, mode, batch=1: run_async(score_cf_submission(judge, CF_PROBLEM, code, batch, mode))  # noqa: E731
    assert score(CPP_RIGHT, "pass_fail") == 1.0
    assert score(CPP_RIGHT, "weighted_sum", batch=3) == pytest.approx(1.1)
    assert score(CPP_ONLY_FIRST, "partial", batch=3) == pytest.approx(1 / 3)
    assert score(CPP_ONLY_FIRST, "weighted_sum", batch=3) == pytest.approx(0.1 / 3)
    assert score(CPP_ONLY_FIRST, "pass_fail") == 0.0
    assert score(CPP_BROKEN, "partial") == -0.1  # no compile
    assert score("", "partial") == -1.0  # no submission
    assert run_async(score_cf_submission(judge, {"official_tests": []}, CPP_RIGHT)) is None  # nothing to judge
    python_problem = {**CF_PROBLEM, "language": "python"}
    python_right = "a, b = map(int, input().split())\nprint(a + b)"
    assert run_async(score_cf_submission(judge, python_problem, python_right, 1, "pass_fail")) == 1.0


@needs_gpp
def test_cf_code_reward_end_to_end_on_the_local_judge():
    rows = {"official_tests": [SUM_TESTS] * 3, "time_limit": [1.0] * 3, "memory_limit": [256] * 3}
    completions = [cpp(CPP_RIGHT), cpp(CPP_LOOP), "no code"]
    out = cf_code_reward(completions, scoring_mode="pass_fail", provider_type="local", **rows)
    assert out == [1.0, 0.0, -1.0]
    py2 = "<answer>\n```python\nprint sum(map(int, raw_input().split()))\n```\n</answer>"
    python_rows = {"official_tests": [SUM_TESTS], "language": ["python"], "time_limit": [2.0]}
    assert cf_code_reward([py2], scoring_mode="pass_fail", provider_type="local", **python_rows) == [0.0]
    assert cf_code_reward([py2], patch_code=True, scoring_mode="pass_fail", provider_type="local", **python_rows) == [
        1.0
    ]


GRADER_H = "long add(long a, long b);\n"
GRADER_CPP = (
    '#include <iostream>\n#include "adder.h"\nint main(){long a,b;std::cin>>a>>b;std::cout<<add(a,b)<<"\\n";}\n'
)
SUBTASK = {
    "id": "adder",
    "subtask": "01-small",
    "score": 40,
    "score_precision": 2,
    "test_names": ["a", "b", "c"],
    "test_cases": [[t["input"], t["output"]] for t in SUM_TESTS],
    "time_limit": 1.0,
    "memory_limit": 256,
    "grader_files": [["graders/adder.h", GRADER_H], ["graders/grader.cpp", GRADER_CPP]],
}


@needs_gpp
def test_ioi_subtask_scoring_with_graders_batches_and_cache():
    judge = LocalJudge(num_parallel=2)
    right = '#include "adder.h"\nlong add(long a, long b) { return a + b; }\n'
    result = run_async(score_subtask(judge, SUBTASK, right, test_batch_size=2))
    assert result.score == 1.0 and result.weighted_score == 40.0 and result.status == "AC"
    wrong = '#include "adder.h"\nlong add(long a, long b) { return 3; }\n'  # passes test a only
    cache = {}
    result = run_async(score_subtask(judge, SUBTASK, wrong, test_batch_size=1, cache=cache))
    assert [t.status for t in result.test_results] == ["AC", "WA", "SKIPPED"]  # stopped after the first failure
    assert result.score == 0.0 and result.status == "WA"
    assert set(cache) == {"a", "b"}
    # Another subtask sharing test "b": the cached failure decides it without running anything.
    again = run_async(score_subtask(None, {**SUBTASK, "subtask": "02"}, wrong, cache=cache))
    assert again.score == 0.0
    # Through the reward: the problem row carries the grader files; add_ioi_includes adds the header.
    rows = {key: [value] * 2 for key, value in SUBTASK.items()}
    out = ioi_code_reward(
        [cpp("long add(long a, long b) { return a + b; }"), "no code"], provider_type="local", **rows
    )
    assert out == [1.0, 0.0]


def test_ioi_statuses_and_precision():
    assert status_of(0.0, "Compilation error: x") == "CE"
    assert status_of(0.0, "Time limit exceeded") == "TLE"
    assert status_of(0.0, "Output isn't correct") == "WA"
    assert status_of(0.0, "Execution failed (signaled)") == "RE"
    assert status_of(0.5, "partial") == "PA" and status_of(1.0, "Output is correct") == "AC"
    result = SubtaskResult(
        points=7, score_precision=2, test_results=[CaseResult("a", 1 / 3, "PA"), CaseResult("b", 1.0)]
    )
    assert result.score == 0.33 and result.weighted_score == 2.31


def test_code_patcher():
    assert patch_code("print raw_input()\nfor i in xrange(3): pass", "python") == (
        "print(input())\nfor i in range(3): pass"
    )
    assert patch_code("from fractions import gcd", "python") == "from math import gcd"
    assert patch_code("print(x)", "python") == "print(x)"
    assert patch_code("int main(){}", "cpp") == "int main(){}"


def test_judges_need_their_configuration(monkeypatch):
    monkeypatch.delenv("PISTON_ENDPOINTS", raising=False)
    with pytest.raises(ProviderUnavailableError, match="PISTON_ENDPOINTS"):
        get_judge("piston")
    with pytest.raises(ProviderUnavailableError, match="morph"):
        get_judge("morph")
    with pytest.raises(ValueError, match="ioi or cf"):
        score_submissions("atcoder", [], [], "local")


# ------------------------------------------------------------------------------------------ Piston (loopback)


class FakePiston(BaseHTTPRequestHandler):
    """Piston's POST /api/v2/execute: {language, version, files, stdin, run_timeout, ...} -> {language, version,
    run: {stdout, stderr, output, code, signal}, compile?: {...}}. Runs python files for real, fakes c++."""

    requests: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, body))
        if body["language"] == "python":
            out = subprocess.run(
                [sys.executable, "-c", body["files"][0]["content"]],
                input=body["stdin"],
                capture_output=True,
                text=True,
                timeout=body["run_timeout"] / 1000,
            )
            answer = {"run": {"stdout": out.stdout, "stderr": out.stderr, "code": out.returncode, "signal": None}}
        elif "int main( {" in body["files"][0]["content"]:
            answer = {"compile": {"stdout": "", "stderr": "error: expected ')'", "code": 1, "signal": None}}
        else:  # c++: "runs" and times out
            answer = {
                "compile": {"code": 0, "stderr": ""},
                "run": {"stdout": "", "stderr": "", "code": None, "signal": "SIGKILL"},
            }
        payload = json.dumps({"language": body["language"], "version": "1.0.0", **answer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def piston_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePiston)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    server.shutdown()
    server.server_close()


def test_piston_judge_against_a_loopback_server(piston_url, monkeypatch):
    FakePiston.requests = []
    judge = PistonJudge([piston_url], num_parallel=2)
    python_problem = {**CF_PROBLEM, "language": "python"}
    right = "a, b = map(int, input().split())\nprint(a + b)"
    assert run_async(score_cf_submission(judge, python_problem, right, 3, "weighted_sum")) == pytest.approx(1.1)
    # Test cases run concurrently (num_parallel=2), so requests arrive in any order.
    for path, body in FakePiston.requests:
        assert path == "/api/v2/execute" and body["language"] == "python" and body["version"] == "*"
        assert body["run_timeout"] == 1000 and body["run_memory_limit"] == 256 << 20
    assert "1 2\n" in [body["stdin"] for _, body in FakePiston.requests]
    assert run_async(score_cf_submission(judge, CF_PROBLEM, CPP_BROKEN, 1, "partial")) == -0.1
    assert run_async(score_cf_submission(judge, CF_PROBLEM, CPP_LOOP, 1, "partial")) == 0.0
    monkeypatch.setenv("PISTON_ENDPOINTS", piston_url)
    rows = {"official_tests": [SUM_TESTS], "language": ["python"], "time_limit": [1.0]}
    assert cf_code_reward([f"```python\n{right}\n```"], scoring_mode="pass_fail", **rows) == [1.0]
