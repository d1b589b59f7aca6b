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
"""Code execution behind one interface: `get_provider(provider_type, num_parallel, ...).execute_scripts(...)`.

A provider runs evaluation scripts (evaluation_script.py) and returns what each reports, a pass rate,
or None where it could not judge (the sandbox service failed; trl skips the row):

    local   this machine's sandbox (sandbox/): no key, no code leaves the machine. Judges natively: each test
            case runs the program alone and outputs are compared here, so a program cannot forge its own score
            (also for an evaluation script that comes as text alone: its program and cases are read from it).
    e2b     E2B cloud sandboxes (E2B_API_KEY), through the e2b-code-interpreter SDK, as open-r1.
    morph   MorphCloud VMs (MORPH_API_KEY), through the current morphcloud SDK (open-r1's `morphcloud.sandbox` is gone).
    any of them behind a router (scripts/e2b_router.py, scripts/morph_router.py): pass `<provider>_router_url`
            and the scripts go over HTTP to a service that batches the requests of many training processes.

A new backend is one class with `execute_scripts` plus one line in `get_provider`.
"""

import asyncio
import base64
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from .evaluation_script import outputs_match, parse_evaluation_script
from .sandbox import RunResult, Sandbox, SandboxLimits


logger = logging.getLogger(__name__)

# open-r1's timeouts for a whole evaluation script in a remote sandbox.
REMOTE_SANDBOX_TIMEOUT_S = 30
REMOTE_REQUEST_TIMEOUT_S = 28
# A plain script (not an EvaluationScript) in the local sandbox gets this much wall-clock time in all.
LOCAL_SCRIPT_TIMEOUT_S = 30.0


class ProviderUnavailableError(NotImplementedError):
    """A provider that cannot run here: its SDK is not installed, or its credentials are missing."""


class CodeExecutionProvider(ABC):
    """Runs evaluation scripts; returns each script's reported pass rate, None where it could not judge."""

    @abstractmethod
    def execute_scripts(self, scripts: list[str], languages: list[str]) -> list[float | None]: ...


def parse_rate(text: str | None) -> float | None:
    """The pass rate an evaluation script printed last, None when there is none."""
    for line in reversed((text or "").strip().splitlines()):
        try:
            return float(line.strip())
        except ValueError:
            return None
    return None


def run_async(coroutine: Coroutine) -> Any:
    """Runs a coroutine to completion from sync code, also when the caller's thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: dict[str, Any] = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


# --------------------------------------------------------------------------------------------------------------------
# Local
# --------------------------------------------------------------------------------------------------------------------


class LocalProvider(CodeExecutionProvider):
    """This machine's sandbox, `num_parallel` programs at once, each under `limits` (per test case).

    Nothing a program does makes `execute_scripts` raise: a row whose run the sandbox could not set up, run or clean
    up scores None (trl skips it), with a warning that counts them (`unjudged_rows` for this provider, and
    `unjudged_in_process` over every call of the training process: the code reward makes a provider per call).
    Programs and scripts reach the sandbox as files in their work dir, never in an argv (which holds 128 KiB).
    """

    unjudged_in_process = 0

    def __init__(
        self,
        num_parallel: int = 2,
        limits: SandboxLimits | None = None,
        isolation: str = "auto",
        shared_slots: threading.Semaphore | None = None,
    ):
        if num_parallel < 1:
            raise ValueError(f"num_parallel must be at least 1, got {num_parallel}.")
        self.num_parallel = num_parallel
        self.sandbox = Sandbox(limits or SandboxLimits(), isolation=isolation)
        self.shared_slots = shared_slots  # a router's bound on programs at once, across all its requests
        self.unjudged_rows = 0

    def execute_scripts(self, scripts: list[str], languages: list[str]) -> list[float | None]:
        if len(scripts) != len(languages):
            raise ValueError(f"Got {len(scripts)} scripts and {len(languages)} languages.")
        self.sandbox.isolation  # noqa: B018 - a machine with no isolation at all fails the call (no program did it)
        # One job per test case of each evaluation script (judged here), one per plain script (run whole).
        jobs: list[tuple[int, Callable[[], RunResult], Callable[[RunResult], bool] | None]] = []
        counts = [0] * len(scripts)
        failed: dict[int, str] = {}
        for i, (script, language) in enumerate(zip(scripts, languages)):
            if not _is_evaluation(script) and language == "python":
                script = parse_evaluation_script(script) or script  # judged natively when its cases are in it
            if _is_evaluation(script):
                for case in script.test_cases:
                    jobs.append((i, _program_job(self.sandbox, script, case), _case_checker(script, case)))
                    counts[i] += 1
            elif language != "python":
                failed[i] = f"the local provider runs plain scripts in python, got {language!r}"
            else:
                jobs.append((i, _script_job(self.sandbox, script), None))
                counts[i] = 1
        with ThreadPoolExecutor(max_workers=self.num_parallel, thread_name_prefix="sandbox") as pool:
            results = list(pool.map(lambda job: self._run_job(job[1]), jobs))
        passed = [0.0] * len(scripts)
        for (i, _, check), result in zip(jobs, results):
            if result.status == "sandbox_error":
                failed.setdefault(i, result.error or "sandbox error")
            elif check is not None:
                passed[i] += check(result)
            else:  # a plain script: its last line is the rate; none means the program broke its own harness
                passed[i] = (parse_rate(result.stdout) or 0.0) if result.ok else 0.0
        if failed:
            self.unjudged_rows += len(failed)
            LocalProvider.unjudged_in_process += len(failed)
            logger.warning(
                "Local sandbox could not judge %d of %d scripts (they score None; %d so far in this process): %s",
                len(failed),
                len(scripts),
                LocalProvider.unjudged_in_process,
                "; ".join(f"script {i}: {error}" for i, error in sorted(failed.items())[:3]),
            )
        return [None if i in failed else passed[i] / counts[i] if counts[i] else 0.0 for i in range(len(scripts))]

    def _run_job(self, job: Callable[[], RunResult]) -> RunResult:
        try:
            if self.shared_slots is None:
                return job()
            with self.shared_slots:
                return job()
        except Exception as error:  # noqa: BLE001 - whatever broke, it is this row's, not the call's
            return RunResult("sandbox_error", error=f"{type(error).__name__}: {error}")


def _is_evaluation(script: str) -> bool:
    return all(hasattr(script, name) for name in ("code", "test_cases", "command"))


# How the local provider runs a program of each language: from a file in its work dir (no argv limit on its size).
SOURCE_FILES = {
    "python": ("main.py", ["python3", "main.py"]),
    "javascript": ("main.js", ["node", "main.js"]),
    "r": ("main.R", ["Rscript", "main.R"]),
    "bash": ("main.sh", ["bash", "main.sh"]),
}


def _program_job(sandbox: Sandbox, script, case: dict[str, str]) -> Callable[[], RunResult]:
    name, argv = SOURCE_FILES[script.language]
    return lambda: sandbox.run(argv, stdin=case.get("input", ""), files={name: script.code})


def _case_checker(script, case: dict[str, str]) -> Callable[[RunResult], bool]:
    return lambda result: result.ok and outputs_match(result.stdout, str(case.get("output", "")))


# A plain script judges the program it runs under the same uid: it makes itself non-dumpable first, so that its
# program can neither trace it (the syscall filter denies ptrace too) nor write its memory through /proc/PID/mem.
_UNTOUCHABLE_HARNESS = (
    "import ctypes, runpy; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); runpy.run_path('evaluate.py', run_name='__main__')"
)


def _script_job(sandbox: Sandbox, script: str) -> Callable[[], RunResult]:
    limits = replace(sandbox.limits, timeout_s=max(LOCAL_SCRIPT_TIMEOUT_S, sandbox.limits.timeout_s))
    argv = ["python3", "-c", _UNTOUCHABLE_HARNESS]
    return lambda: sandbox.run(argv, files={"evaluate.py": str(script)}, limits=limits)


# --------------------------------------------------------------------------------------------------------------------
# E2B and Morph (cloud sandboxes, as open-r1)
# --------------------------------------------------------------------------------------------------------------------


def _require_key(name: str, provider: str) -> str:
    key = os.environ.get(name)
    if not key:
        raise ProviderUnavailableError(
            f"Code provider {provider!r} needs the {name} environment variable (an API key), or a router URL "
            f"(`{provider}_router_url`). To run code on this machine with no key, set `code_provider: local`."
        )
    return key


class _RemoteSandboxProvider(CodeExecutionProvider):
    """A hosted sandbox per script, at most `num_parallel` at once; subclasses say how one script runs."""

    num_parallel: int

    def execute_scripts(self, scripts: list[str], languages: list[str]) -> list[float | None]:
        return run_async(self._run_all(scripts, languages))

    async def _run_all(self, scripts, languages):
        semaphore = asyncio.Semaphore(self.num_parallel)
        return await asyncio.gather(*(self._run(s, lang, semaphore) for s, lang in zip(scripts, languages)))

    async def _run(self, script: str, language: str, semaphore: asyncio.Semaphore) -> float | None:
        raise NotImplementedError


class E2BProvider(_RemoteSandboxProvider):
    """E2B sandboxes through the e2b-code-interpreter SDK, `num_parallel` at once (open-r1's E2BProvider)."""

    def __init__(self, num_parallel: int = 2, sandbox_factory: Any = None):
        if sandbox_factory is None:
            _require_key("E2B_API_KEY", "e2b")
            try:
                from e2b_code_interpreter import AsyncSandbox
            except ImportError as error:
                raise ProviderUnavailableError(
                    "Code provider 'e2b' needs the e2b-code-interpreter package: pip install -e '.[code]'."
                ) from error
            sandbox_factory = AsyncSandbox
        self.num_parallel = num_parallel
        self.sandbox_factory = sandbox_factory

    async def _run(self, script: str, language: str, semaphore: asyncio.Semaphore) -> float | None:
        async with semaphore:
            sandbox = None
            try:
                sandbox = await self.sandbox_factory.create(
                    timeout=REMOTE_SANDBOX_TIMEOUT_S, request_timeout=REMOTE_REQUEST_TIMEOUT_S
                )
                execution = await asyncio.wait_for(
                    sandbox.run_code(script, language=language), timeout=REMOTE_SANDBOX_TIMEOUT_S + 2
                )
                # The script's last expression is the rate; an execution error there means the judge broke.
                return parse_rate(execution.text) if execution.text is not None else 0.0
            except Exception as error:  # noqa: BLE001 - a service failure: this row cannot be judged
                logger.warning("E2B sandbox failed (the script scores None): %s", error)
                return None
            finally:
                if sandbox is not None:
                    try:
                        await sandbox.kill()
                    except Exception:  # noqa: BLE001
                        pass


class MorphProvider(_RemoteSandboxProvider):
    """MorphCloud VMs through the current morphcloud SDK (`morphcloud.api`), `num_parallel` at once.

    open-r1 used `morphcloud.sandbox.Sandbox`, a Jupyter-kernel wrapper that morphcloud removed after 0.1.95. This is
    the same job on the SDK's core API, which every release since has kept: start an instance from a snapshot of
    the Morph sandbox image (created once, found again by its digest), run the evaluation script with `python3`
    (`instance.exec`), read the rate from its last stdout line, stop the instance. `client` is a
    `morphcloud.api.MorphCloudClient`; by default one for MORPH_API_KEY (and the SDK's own MORPH_BASE_URL).
    """

    # The image open-r1's sandboxes ran on (it has python3), at the size open-r1 gave them; the digest makes the
    # snapshot a one-time creation that every later run and process finds again.
    SNAPSHOT = {"image_id": "morphvm-sandbox", "vcpus": 1, "memory": 2048, "disk_size": 8192}
    SNAPSHOT_DIGEST = "open-r1-code-sandbox-v1"
    TIMEOUT_S = 90  # open-r1's Morph sandbox timeout, per script
    # One command-line argument holds at most 128 KiB on Linux (MAX_ARG_STRLEN); a longer script is written to a file
    # in the instance in pieces, then run from there.
    MAX_INLINE_BYTES = 100_000
    SCRIPT_FILE = "open_r1_evaluation.py"

    def __init__(self, num_parallel: int = 2, client: Any = None):
        if client is None:
            key = _require_key("MORPH_API_KEY", "morph")
            try:
                from morphcloud.api import MorphCloudClient
            except ImportError as error:
                raise ProviderUnavailableError(
                    "Code provider 'morph' needs the morphcloud package: pip install -e '.[code]'."
                ) from error
            client = MorphCloudClient(api_key=key)
        self.num_parallel = num_parallel
        self.client = client
        self._snapshot_id: str | None = None
        self._snapshot_lock = threading.Lock()

    def snapshot_id(self) -> str:
        with self._snapshot_lock:
            if self._snapshot_id is None:
                snapshot = self.client.snapshots.create(**self.SNAPSHOT, digest=self.SNAPSHOT_DIGEST)
                self._snapshot_id = snapshot.id
            return self._snapshot_id

    def run_script(self, script: str) -> float:
        """Runs one evaluation script in a fresh instance; the rate it printed (0.0 if it printed none)."""
        instance = self.client.instances.start(
            self.snapshot_id(), ttl_seconds=self.TIMEOUT_S, ttl_action="stop", timeout=self.TIMEOUT_S
        )
        try:
            if len(script.encode()) <= self.MAX_INLINE_BYTES:
                command = ["python3", "-c", str(script)]
            else:
                self._write_file(instance, str(script))
                command = ["python3", self.SCRIPT_FILE]
            result = instance.exec(command, timeout=self.TIMEOUT_S)
        finally:
            try:
                instance.stop()
            except Exception as error:  # noqa: BLE001 - its TTL stops it anyway
                logger.warning("Could not stop Morph instance %s (its TTL will): %s", instance.id, error)
        if result.exit_code != 0:  # the harness itself broke (a program's failure only fails its test case)
            logger.warning("Morph evaluation script exited %d: %s", result.exit_code, result.stderr[-500:])
        rate = parse_rate(result.stdout)
        return 0.0 if rate is None else rate

    def _write_file(self, instance: Any, text: str) -> None:
        encoded = base64.b64encode(text.encode()).decode()
        step = self.MAX_INLINE_BYTES
        for start in range(0, len(encoded), step):
            mode = "wb" if start == 0 else "ab"
            writer = f"import base64,sys; open(sys.argv[1], {mode!r}).write(base64.b64decode(sys.argv[2]))"
            result = instance.exec(
                ["python3", "-c", writer, self.SCRIPT_FILE, encoded[start : start + step]], timeout=self.TIMEOUT_S
            )
            if result.exit_code != 0:
                raise RuntimeError(f"writing the evaluation script failed: {result.stderr[-500:]}")

    async def _run(self, script: str, language: str, semaphore: asyncio.Semaphore) -> float | None:
        if language != "python":
            raise ValueError(f"The Morph provider runs evaluation scripts in python, got {language!r}.")
        async with semaphore:
            try:
                return await asyncio.wait_for(asyncio.to_thread(self.run_script, script), self.TIMEOUT_S * 2 + 30)
            except Exception as error:  # noqa: BLE001 - a service failure: this row cannot be judged
                logger.warning("Morph sandbox failed (the script scores None): %s", error)
                return None


# --------------------------------------------------------------------------------------------------------------------
# Routers
# --------------------------------------------------------------------------------------------------------------------


class RouterProvider(CodeExecutionProvider):
    """A router (scripts/e2b_router.py, scripts/morph_router.py) over HTTP: `POST {url}/execute_batch`.

    Both routers' answers are understood: the e2b one `[{"execution": {"results": [{"text": ...}], ...} | null,
    "exception_str": ...}]`, the morph one `[{"text": ..., "exception_str": ...}]`. Evaluation scripts also send
    their code and test cases (`evaluations`), so a router serving the local sandbox judges them natively.
    """

    def __init__(self, router_url: str, timeout_s: float = REMOTE_SANDBOX_TIMEOUT_S):
        self.url = router_url if "://" in router_url else f"http://{router_url}"  # open-r1 passes host:port
        self.timeout_s = timeout_s

    def execute_scripts(self, scripts: list[str], languages: list[str]) -> list[float | None]:
        import requests

        payload = {
            "scripts": [str(s) for s in scripts],
            "languages": list(languages),
            "timeout": int(self.timeout_s),
            "request_timeout": int(self.timeout_s) - 2,
            "evaluations": [
                {"code": s.code, "language": s.language, "test_cases": s.test_cases, "command": s.command}
                if _is_evaluation(s)
                else None
                for s in scripts
            ],
        }
        # The router runs the whole batch; allow it the time of every script run one after the other at worst.
        response = requests.post(f"{self.url}/execute_batch", json=payload, timeout=self.timeout_s * len(scripts) + 60)
        if not response.ok:
            raise RuntimeError(f"Code router {self.url} answered {response.status_code}: {response.text[:500]}")
        results = response.json()
        if not isinstance(results, list) or len(results) != len(scripts):
            raise RuntimeError(f"Code router {self.url} answered {str(results)[:500]!r} for {len(scripts)} scripts.")
        return [self._rate(result) for result in results]

    def _rate(self, result: dict) -> float | None:
        if result.get("exception_str"):
            logger.warning("Code router could not run a script (it scores None): %s", result["exception_str"])
            return None
        if "execution" not in result:  # a Morph router
            return parse_rate(result.get("text"))
        execution = result.get("execution") or {}
        texts = [r.get("text") for r in execution.get("results", []) if r.get("is_main_result", True)]
        return parse_rate(texts[-1]) if texts else None


# --------------------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------------------

PROVIDERS = ("local", "e2b", "morph")


def get_provider(provider_type: str = "e2b", num_parallel: int = 2, **kwargs) -> CodeExecutionProvider:
    """The provider named `provider_type`. Keywords: `<provider>_router_url` (send scripts to a router instead);
    for `local`, the limits `timeout_s`, `memory_mb`, `max_processes`, `max_output_bytes` and `isolation`."""
    router_url = kwargs.get(f"{provider_type}_router_url")
    if router_url:
        return RouterProvider(router_url)
    if provider_type == "local":
        limit_names = ("timeout_s", "memory_mb", "max_processes", "max_output_bytes")
        limits = SandboxLimits(**{name: kwargs[name] for name in limit_names if kwargs.get(name) is not None})
        return LocalProvider(num_parallel, limits, isolation=kwargs.get("isolation", "auto"))
    if provider_type == "e2b":
        return E2BProvider(num_parallel)
    if provider_type == "morph":
        return MorphProvider(num_parallel)
    raise ValueError(f"Unknown code provider {provider_type!r}: use one of {', '.join(PROVIDERS)}.")
