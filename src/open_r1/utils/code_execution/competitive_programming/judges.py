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
"""Judges: run one submission on one test and say how it did (score in [0, 1] and a CMS-style feedback line).

    LocalJudge   this machine's sandbox: compiles C++ with g++ (once per submission), runs Python with python3
    PistonJudge  a Piston server's documented API (POST {endpoint}/execute, stock `c++`/`python` packages); the
                 output is compared here, so open-r1's custom Piston packages are not needed

Feedback strings follow CMS (and open-r1's Piston packages), which ioi_scoring maps to statuses: "Output is
correct", "Output isn't correct", "Time limit exceeded", "Memory limit exceeded", "Compilation error ...".
"""

import asyncio
import hashlib
import os
import random
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from ..sandbox import Sandbox, SandboxLimits


CORRECT, WRONG, TLE, MLE, CE, RE = (
    "Output is correct",
    "Output isn't correct",
    "Time limit exceeded",
    "Memory limit exceeded",
    "Compilation error",
    "Execution failed",
)
COMPILE_TIMEOUT_S = 60.0
LANGUAGES = ("cpp", "python")


@dataclass
class Verdict:
    score: float
    feedback: str


def tokens_match(output: str, expected: str) -> bool:
    """Codeforces/CMS white-diff: the same whitespace-separated tokens."""
    return output.split() == expected.split()


def _check_language(language: str) -> str:
    language = {"c++": "cpp", "python3": "python", "py": "python"}.get(language, language)
    if language not in LANGUAGES:
        raise ValueError(f"The judges run {LANGUAGES} submissions, got {language!r}.")
    return language


class LocalJudge:
    """Judges in the local sandbox, `num_parallel` tests at once. A C++ submission is compiled once (with any
    `.cpp` grader files next to it) and its binary reused for every test."""

    BINARY_CACHE_BYTES = 256 << 20

    def __init__(self, num_parallel: int = 2, isolation: str = "auto"):
        self.sandbox = Sandbox(isolation=isolation)
        self.slots = threading.BoundedSemaphore(num_parallel)  # threads, so any event loop may call judge()
        # hash -> binary, or the compiler's error: the most recent ones, at most BINARY_CACHE_BYTES of binaries (a
        # submission with a 50 MiB initialized array compiles to a 50 MiB binary, kept in the trainer's memory).
        self._binaries: OrderedDict[str, bytes | str] = OrderedDict()
        self._lock = threading.Lock()

    def _compile(self, source: str, grader_files: dict[str, str], memory_mb: int) -> bytes | str:
        key = hashlib.sha256(repr((source, sorted(grader_files.items()))).encode()).hexdigest()
        with self._lock:
            if key in self._binaries:
                self._binaries.move_to_end(key)
                return self._binaries[key]
        files = {"main.cpp": source, **grader_files}
        sources = ["main.cpp"] + sorted(name for name in grader_files if name.endswith(".cpp"))
        includes = sorted({"-I" + (os.path.dirname(n) or ".") for n in grader_files if n.endswith(".h")})
        limits = SandboxLimits(timeout_s=COMPILE_TIMEOUT_S, memory_mb=max(memory_mb, 2048), max_file_mb=256)
        with self.sandbox.session(files) as session:
            argv = ["g++", "-std=gnu++17", "-O2", "-pipe", "-DEVAL", *includes, "-o", "main", *sources]
            result = session.run(argv, limits=limits)
            outcome = session.read_file("main", 256 << 20) if result.ok else f"{CE}: {result.stderr[-2000:]}"
        with self._lock:
            self._binaries[key] = outcome
            while len(self._binaries) > 1 and self.cached_bytes() > self.BINARY_CACHE_BYTES:
                self._binaries.popitem(last=False)  # compiled again if it comes back
        return outcome

    def cached_bytes(self) -> int:
        return sum(len(b) for b in self._binaries.values() if isinstance(b, bytes))

    def _run(self, submission, language, test_input, expected, time_limit_s, memory_mb, grader_files) -> Verdict:
        limits = SandboxLimits(timeout_s=time_limit_s, memory_mb=memory_mb)
        if language == "cpp":
            binary = self._compile(submission, grader_files, memory_mb)
            if isinstance(binary, str):
                return Verdict(0.0, binary)
            files, argv = {"main": binary}, ["./main"]
        else:
            files, argv = {"main.py": submission}, ["python3", "main.py"]
        with self.sandbox.session(files) as session:
            if language == "cpp":
                os.chmod(os.path.join(session.work_dir, "main"), 0o755)
            result = session.run(argv, stdin=test_input, limits=limits)
        if result.status == "sandbox_error":
            raise RuntimeError(f"The local sandbox failed: {result.error}")
        if result.status == "timeout":
            return Verdict(0.0, TLE)
        if result.status == "memory_limit" or "MemoryError" in result.stderr or "bad_alloc" in result.stderr:
            return Verdict(0.0, MLE)
        if not result.ok:
            return Verdict(0.0, f"{RE} ({result.status}, code {result.returncode})")
        return Verdict(1.0, CORRECT) if tokens_match(result.stdout, expected) else Verdict(0.0, WRONG)

    async def judge(
        self,
        submission: str,
        language: str,
        test_input: str,
        expected: str,
        time_limit_s: float = 2.0,
        memory_mb: int = 256,
        grader_files: dict[str, str] | None = None,
    ) -> Verdict:
        language = _check_language(language)

        def run() -> Verdict:
            with self.slots:
                return self._run(
                    submission, language, test_input, expected, time_limit_s, memory_mb, grader_files or {}
                )

        return await asyncio.to_thread(run)


class PistonJudge:
    """A Piston server (https://github.com/engineer-man/piston), `num_parallel` requests at once, spread over
    `endpoints` (e.g. http://host:2000/api/v2). open-r1 reads them from PISTON_ENDPOINTS (comma-separated)."""

    PISTON_LANGUAGES = {"cpp": "c++", "python": "python"}

    def __init__(self, endpoints: list[str], num_parallel: int = 2):
        if not endpoints:
            raise ValueError("PistonJudge needs at least one endpoint, e.g. http://localhost:2000/api/v2.")
        self.endpoints = [e.rstrip("/") for e in endpoints]
        self.num_parallel = num_parallel
        self._slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # one semaphore per event loop

    async def _post(self, payload: dict) -> dict:
        import aiohttp

        endpoint = random.choice(self.endpoints)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=payload["run_timeout"] / 1000 + 60)) as s:
            async with s.post(f"{endpoint}/execute", json=payload) as response:
                body = await response.json(content_type=None)
                if response.status != 200:
                    raise RuntimeError(f"Piston {endpoint} answered {response.status}: {body}")
                return body

    async def judge(
        self,
        submission: str,
        language: str,
        test_input: str,
        expected: str,
        time_limit_s: float = 2.0,
        memory_mb: int = 256,
        grader_files: dict[str, str] | None = None,
    ) -> Verdict:
        language = _check_language(language)
        main = "main.cpp" if language == "cpp" else "main.py"
        payload = {
            "language": self.PISTON_LANGUAGES[language],
            "version": "*",
            "files": [{"name": main, "content": submission}]
            + [{"name": n, "content": c} for n, c in (grader_files or {}).items()],
            "stdin": test_input,
            "compile_timeout": int(COMPILE_TIMEOUT_S * 1000),
            "run_timeout": int(time_limit_s * 1000),
            "run_memory_limit": int(memory_mb) << 20,
        }
        slots = self._slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(self.num_parallel))
        async with slots:
            response = await self._post(payload)
        if "message" in response:  # Piston's error shape
            raise RuntimeError(f"Piston: {response['message']}")
        compiled = response.get("compile")
        if compiled and compiled.get("code") not in (0, None):
            return Verdict(0.0, f"{CE}: {compiled.get('stderr', '')[-2000:]}")
        run = response["run"]
        if run.get("signal") == "SIGKILL" and not run.get("stdout"):
            return Verdict(0.0, TLE)
        if run.get("code") == 1 and "MemoryError" in run.get("stderr", ""):
            return Verdict(0.0, MLE)
        if run.get("code") != 0:
            return Verdict(0.0, f"{RE} (code {run.get('code')}, signal {run.get('signal')})")
        return Verdict(1.0, CORRECT) if tokens_match(run.get("stdout", ""), expected) else Verdict(0.0, WRONG)


def get_judge(provider_type: str, num_parallel: int = 2):
    """The judge of `provider_type`: local, or piston (PISTON_ENDPOINTS). Morph: see the package docstring."""
    from ..providers import ProviderUnavailableError

    if provider_type == "local":
        return LocalJudge(num_parallel)
    if provider_type == "piston":
        endpoints = [e for e in os.environ.get("PISTON_ENDPOINTS", "").split(",") if e.strip()]
        if not endpoints:
            raise ProviderUnavailableError(
                "The 'piston' judge needs PISTON_ENDPOINTS (comma-separated Piston API URLs, e.g. "
                "http://node:2000/api/v2). To judge on this machine instead, use provider 'local'."
            )
        return PistonJudge(endpoints, num_parallel)
    if provider_type == "morph":
        raise ProviderUnavailableError(
            "The 'morph' judge of open-r1 runs on MorphCloud instances through an SDK API that the installed "
            "morphcloud no longer has; use 'local' (this machine) or 'piston'."
        )
    raise ValueError(f"Unknown judge {provider_type!r}: use local, piston or morph.")


__all__ = ["Verdict", "LocalJudge", "PistonJudge", "get_judge", "tokens_match"]
