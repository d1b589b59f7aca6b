"""Code providers: the code rewards on the local sandbox, the routers over HTTP, and the E2B/Morph clients."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests
from conftest import REPO_ROOT, entry_point_env

from open_r1 import rewards
from open_r1.rewards import binary_code_reward, code_reward
from open_r1.utils.code_execution.evaluation_script import EvaluationScript, code_evaluation_script, outputs_match
from open_r1.utils.code_execution.providers import (
    E2BProvider,
    LocalProvider,
    ProviderUnavailableError,
    RouterProvider,
    get_provider,
    parse_rate,
)
from open_r1.utils.code_execution.sandbox import SandboxLimits
from open_r1.utils.synthetic.tiny_code_data import PROBLEMS, build_tiny_code_dataset, code_problem


INFO = {
    "language": "python",
    "test_cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12"}],
}


def answer(code: str, language: str = "python") -> str:
    return f"<think>\nok\n</think>\n<answer>\n```{language}\n{code}\n```\n</answer>"


RIGHT = answer("a, b = map(int, input().split())\nprint(a + b)")
HALF = answer("print(3)")  # passes the first test only
WRONG = answer("print('nope')")
HOSTILE = {
    "forges its score and kills its judge": "import os, signal\nprint(1.0, flush=True)\nos.kill(os.getppid(), 9)",
    "loops forever": "while True: pass",
    "fork flood": "import os\nwhile True:\n    os.fork()",
    "memory flood": "x = bytearray(1 << 33)",
    "output flood": "while True: print('3')",
    "reads the caller's environment": "import os\nprint(os.environ.get('OPEN_R1_TEST_API_KEY', 'nothing'))",
}


def local(**kwargs):
    return {"provider_type": "local", "timeout_s": 2.0, **kwargs}


def test_code_reward_on_the_local_sandbox_scores_right_partial_wrong_and_missing():
    out = code_reward([RIGHT, HALF, WRONG, "no code"], verification_info=[INFO] * 4, **local())
    assert out == [1.0, 0.5, 0.0, 0.0]
    assert binary_code_reward([RIGHT, HALF], verification_info=[INFO] * 2, **local()) == [1.0, 0.0]
    conversation = [{"role": "assistant", "content": RIGHT}]
    info_json = '{"language": "python", "test_cases": [{"input": "2 2", "output": "4"}]}'  # a JSON-string column
    assert code_reward([conversation], verification_info=[info_json], **local()) == [1.0]


def test_hostile_programs_score_zero_and_leave_the_others_untouched(monkeypatch):
    monkeypatch.setenv("OPEN_R1_TEST_API_KEY", "3")  # printing it would pass the first test
    completions = [answer(code) for code in HOSTILE.values()] + [RIGHT]
    start = time.monotonic()
    out = code_reward(completions, verification_info=[INFO] * len(completions), **local(num_parallel=2))
    assert dict(zip(HOSTILE, out)) == dict.fromkeys(HOSTILE, 0.0)
    assert out[-1] == 1.0
    assert time.monotonic() - start < 60


def test_each_completion_runs_in_its_own_language_and_the_reward_reads_the_rows_language():
    bash_info = {"language": "bash", "test_cases": [{"input": "4\n", "output": "8"}]}
    out = code_reward([answer("read x; echo $((x*2))", "bash")], verification_info=[bash_info], **local())
    assert out == [1.0]


def test_the_evaluation_script_carries_its_program_and_judges_as_the_local_provider():
    script = code_evaluation_script("print(3)", INFO["test_cases"])
    assert isinstance(script, EvaluationScript) and script.code == "print(3)" and script.command == ["python3", "-c"]
    # The same script judged natively (local) and by its own harness (run whole, as E2B/Morph run it) agree.
    provider = LocalProvider(2, SandboxLimits(timeout_s=5))
    assert provider.execute_scripts([script, str(script)], ["python", "python"]) == [0.5, 0.5]
    for output, expected, match in [
        ("3\n", "3", True),
        ("  3  \n\n\n", "3\n", True),
        ("1\n", "1\n2\n", False),
        ("1\n2\n3", "1\n2", False),
    ]:
        assert outputs_match(output, expected) is match


def test_a_plain_script_that_breaks_its_harness_scores_zero_and_sandbox_failures_score_none(monkeypatch, caplog):
    provider = LocalProvider(1, SandboxLimits(timeout_s=5))
    assert provider.execute_scripts(["print('0.75')", "print('oops')", "raise SystemExit(1)"], ["python"] * 3) == [
        0.75,
        0.0,
        0.0,
    ]
    from open_r1.utils.code_execution.sandbox import RunResult

    # A sandbox failure on every row is still each row's (None: trl skips it), never an exception into the trainer.
    monkeypatch.setattr(provider.sandbox, "run", lambda *a, **k: RunResult("sandbox_error", error="no namespaces"))
    before = LocalProvider.unjudged_in_process
    with caplog.at_level("WARNING"):
        assert provider.execute_scripts(["print(1)", "print(1)"], ["python"] * 2) == [None, None]
    assert "could not judge 2 of 2 scripts" in caplog.text and "no namespaces" in caplog.text
    assert provider.unjudged_rows == 2 and LocalProvider.unjudged_in_process == before + 2


def test_get_provider_names_what_is_missing(monkeypatch):
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    monkeypatch.delenv("MORPH_API_KEY", raising=False)
    with pytest.raises(ProviderUnavailableError, match="E2B_API_KEY.*code_provider: local"):
        get_provider("e2b")
    with pytest.raises(ProviderUnavailableError, match="MORPH_API_KEY"):
        get_provider("morph")
    with pytest.raises(ValueError, match="Unknown code provider"):
        get_provider("docker")
    assert isinstance(get_provider("e2b", e2b_router_url="host:1"), RouterProvider)
    provider = get_provider("local", num_parallel=3, timeout_s=1.5, memory_mb=512)
    assert provider.num_parallel == 3 and provider.sandbox.limits.timeout_s == 1.5
    assert provider.sandbox.limits.memory_mb == 512


def test_the_registry_passes_the_limits_to_the_local_provider(monkeypatch):
    from open_r1.configs import GRPOScriptArguments

    seen = {}
    monkeypatch.setattr(
        rewards.code,
        "execute_scripts",
        lambda scripts, languages, provider_type, num_parallel, **kw: seen.update(kw) or [1.0],
    )
    args = GRPOScriptArguments(dataset_name="x", reward_funcs=["code"], code_provider="local")
    (reward,) = rewards.get_reward_funcs(args)
    reward([RIGHT], verification_info=[INFO])
    assert seen == {"timeout_s": 5.0, "memory_mb": 1024, "max_processes": 64, "max_output_bytes": 1 << 20}


def test_parse_rate():
    assert parse_rate("log\n0.5\n") == 0.5 and parse_rate("1") == 1.0
    assert parse_rate("") is None and parse_rate(None) is None and parse_rate("0.5\nnot a number") is None


# ------------------------------------------------------------------------------------------ E2B and Morph SDKs
# The SDKs talk to their clouds (no key here, and E2B's sandbox URL is derived from its domain): their provider
# logic is tested against fake sandbox objects with the SDK methods open-r1 calls.


class FakeE2BSandbox:
    created: list = []
    killed = 0

    def __init__(self, mode):
        self.mode = mode

    @classmethod
    def factory(cls, mode):
        return SimpleNamespace(create=lambda **kwargs: cls._create(mode, kwargs))

    @classmethod
    async def _create(cls, mode, kwargs):
        cls.created.append(kwargs)
        if mode == "down":
            raise ConnectionError("sandbox service down")
        return cls(mode)

    async def run_code(self, script, language=None):
        await asyncio.sleep(0.01)
        if self.mode == "crash":  # the script raised: E2B returns an execution with an error and no result
            return SimpleNamespace(text=None)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        return SimpleNamespace(text=out.stdout.strip().splitlines()[-1])

    async def kill(self):
        type(self).killed += 1


def test_e2b_provider_runs_each_script_in_its_own_sandbox_and_kills_it():
    scripts = [code_evaluation_script(c, INFO["test_cases"]) for c in ("print(3)", "print(int(input()[0]) + 2)")]
    FakeE2BSandbox.created, FakeE2BSandbox.killed = [], 0
    provider = E2BProvider(num_parallel=2, sandbox_factory=FakeE2BSandbox.factory("ok"))
    assert provider.execute_scripts(scripts, ["python"] * 2) == [0.5, 0.5]
    assert FakeE2BSandbox.created == [{"timeout": 30, "request_timeout": 28}] * 2 and FakeE2BSandbox.killed == 2
    assert E2BProvider(1, FakeE2BSandbox.factory("crash")).execute_scripts(scripts[:1], ["python"]) == [0.0]
    assert E2BProvider(1, FakeE2BSandbox.factory("down")).execute_scripts(scripts[:1], ["python"]) == [None]


# ------------------------------------------------------------------------------------------ routers over HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_router():
    processes = []

    def start(script: str, *args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, f"scripts/{script}", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=REPO_ROOT,
            env=entry_point_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        url = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{script} exited: {process.stdout.read()}")
            try:
                if requests.get(f"http://{url}/health", timeout=1).ok:
                    return url
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"{script} did not start")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_e2b_router_serving_the_local_sandbox(start_router):
    url = start_router("e2b_router.py", "--provider", "local", "--max_num_sandboxes", "2", "--timeout_s", "2")
    assert requests.get(f"http://{url}/health").json() == {"status": "ok", "backend": "local", "max_num_sandboxes": 2}
    # The code reward through the router: judged natively on the router's machine.
    completions = [RIGHT, HALF, WRONG, answer(HOSTILE["forges its score and kills its judge"])]
    out = code_reward(completions, verification_info=[INFO] * 4, provider_type="local", local_router_url=url)
    assert out == [1.0, 0.5, 0.0, 0.0]
    # open-r1's request and response shape, for any client.
    script = code_evaluation_script("print(3)", INFO["test_cases"])
    payload = {"scripts": [str(script)], "languages": ["python"], "timeout": 30, "request_timeout": 28}
    response = requests.post(f"http://{url}/execute_batch", json=payload, timeout=120).json()
    assert response[0]["exception_str"] is None
    assert response[0]["execution"]["results"][0] == {"text": "0.5", "is_main_result": True}
    bad = requests.post(f"http://{url}/execute_batch", json={**payload, "languages": []}, timeout=30)
    assert bad.status_code == 422


def test_morph_router_serving_the_local_sandbox(start_router):
    url = start_router("morph_router.py", "--provider", "local", "--max_num_sandboxes", "2")
    scripts = [code_evaluation_script(c, INFO["test_cases"]) for c in ("print(3)", "print(1/0)")]
    payload = {"scripts": [str(s) for s in scripts], "languages": ["python"] * 2, "timeout": 30, "request_timeout": 28}
    response = requests.post(f"http://{url}/execute_batch", json=payload, timeout=120).json()
    assert response == [{"text": "0.5", "exception_str": None}, {"text": "0.0", "exception_str": None}]
    assert RouterProvider(url).execute_scripts(scripts, ["python"] * 2) == [0.5, 0.0]


def test_router_without_a_key_refuses_to_start():
    env = {k: v for k, v in entry_point_env().items() if k != "E2B_API_KEY"}
    out = subprocess.run(
        [sys.executable, "scripts/e2b_router.py", "--port", str(free_port())],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "E2B_API_KEY" in out.stderr + out.stdout


# ------------------------------------------------------------------------------------------ tiny code data


def test_tiny_code_dataset_reference_solutions_pass_their_tests(tmp_path):
    import json
    import random

    path = build_tiny_code_dataset(str(tmp_path / "code.jsonl"), rows=8)
    rows = [json.loads(line) for line in open(path)]
    assert len(rows) == 8 and {"problem", "verification_info", "solution"} <= set(rows[0])
    completions = [answer(row["solution"]) for row in rows]
    assert code_reward(completions, verification_info=[r["verification_info"] for r in rows], **local()) == [1.0] * 8
    assert set(PROBLEMS) == {code_problem(random.Random(0), kind)["problem"] and kind for kind in PROBLEMS}


@pytest.mark.skipif(os.geteuid() != 0, reason="shows the uid separation of root mode")
def test_programs_never_run_as_root():
    out = code_reward([answer("import os\nprint(3 if os.getuid() != 0 else 0)")], verification_info=[INFO], **local())
    assert out == [0.5]
