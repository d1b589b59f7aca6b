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
"""The code router behind scripts/e2b_router.py and scripts/morph_router.py (open-r1's routers).

One FastAPI service batches the scripts of many training processes and runs at most `max_num_sandboxes` at once:

    POST /execute_batch  {"scripts": [...], "languages": [...], "timeout": 30, "request_timeout": 28,
                          "evaluations": [{"code", "language", "test_cases", "command"} | null, ...]}  (optional)
    -> e2b format:   [{"execution": {"results": [{"text": "0.5", "is_main_result": true}], "logs": ..., "error": ...,
                       "execution_count": ...} | null, "exception_str": null | "..."}, ...]
    -> morph format: [{"text": "0.5" | null, "exception_str": null | "..."}, ...]
    GET /health      {"status": "ok", "backend": ..., "max_num_sandboxes": ...}

Backends: `e2b` and `morph` (cloud sandboxes, keys on the router's machine only) or `local` (this machine's
sandbox: a cluster's CPU nodes run the programs of its GPU nodes with no third-party service). With `local`,
scripts that come with their `evaluations` are judged natively, test case by test case (see providers.py).
"""

import asyncio
import logging
import os
import threading
from typing import Any

from pydantic import BaseModel

from .evaluation_script import code_evaluation_script
from .providers import REMOTE_SANDBOX_TIMEOUT_S, LocalProvider, parse_rate
from .sandbox import SandboxLimits


logger = logging.getLogger(__name__)


class BatchRequest(BaseModel):
    scripts: list[str]
    languages: list[str]
    timeout: int = REMOTE_SANDBOX_TIMEOUT_S
    request_timeout: int = REMOTE_SANDBOX_TIMEOUT_S - 2
    evaluations: list[dict[str, Any] | None] | None = None


def _e2b_result(text: str | None, error: str | None = None, stdout: str = "") -> dict:
    if error is not None:
        return {"execution": None, "exception_str": error}
    results = [] if text is None else [{"text": text, "is_main_result": True}]
    logs = {"stdout": [stdout] if stdout else [], "stderr": []}
    return {
        "execution": {"results": results, "logs": logs, "error": None, "execution_count": 1},
        "exception_str": None,
    }


def _morph_result(text: str | None, error: str | None = None) -> dict:
    return {"text": text, "exception_str": error}


class LocalBackend:
    """The local sandbox, `max_num_sandboxes` programs at once across all requests."""

    def __init__(self, max_num_sandboxes: int, limits: SandboxLimits):
        self.slots = threading.BoundedSemaphore(max_num_sandboxes)
        self.provider = LocalProvider(max_num_sandboxes, limits, shared_slots=self.slots)
        self.provider.sandbox.isolation  # noqa: B018 - probe the machine at start-up, not on the first request

    async def run_batch(self, batch: BatchRequest) -> list[tuple[str | None, str | None]]:
        """Every row gets its own outcome: one that cannot be run or judged is that row's error, never the batch's."""
        scripts: list[str] = []
        errors: dict[int, str] = {}
        for i, script in enumerate(batch.scripts):
            evaluation = batch.evaluations[i] if batch.evaluations and i < len(batch.evaluations) else None
            if evaluation:  # rebuild it here, so the sandbox judges natively
                try:
                    script = code_evaluation_script(
                        evaluation["code"], evaluation["test_cases"], evaluation.get("language", "python")
                    )
                except (KeyError, TypeError, ValueError) as error:
                    errors[i] = f"bad evaluation: {type(error).__name__}: {error}"
            scripts.append(script)
        todo = [i for i in range(len(scripts)) if i not in errors]
        rates = await asyncio.to_thread(
            self.provider.execute_scripts, [scripts[i] for i in todo], [batch.languages[i] for i in todo]
        )
        outcomes: list[tuple[str | None, str | None]] = [(None, errors.get(i)) for i in range(len(scripts))]
        for i, rate in zip(todo, rates):
            outcomes[i] = (
                (None, "the local sandbox could not judge this script") if rate is None else (str(rate), None)
            )
        return outcomes


class E2BBackend:
    """open-r1's E2B router: one AsyncSandbox per script."""

    def __init__(self, max_num_sandboxes: int):
        if not os.environ.get("E2B_API_KEY"):
            raise SystemExit("The e2b router needs E2B_API_KEY in its environment (or use --provider local).")
        from e2b_code_interpreter import AsyncSandbox

        self.sandbox_factory = AsyncSandbox
        self.semaphore = asyncio.Semaphore(max_num_sandboxes)

    async def _run(self, script: str, language: str, batch: BatchRequest) -> tuple[str | None, str | None]:
        async with self.semaphore:
            sandbox = None
            try:
                sandbox = await self.sandbox_factory.create(
                    timeout=batch.timeout, request_timeout=batch.request_timeout
                )
                execution = await asyncio.wait_for(sandbox.run_code(script, language=language), batch.timeout + 1)
                return execution.text, None
            except Exception as error:  # noqa: BLE001 - reported to the client per script
                return None, str(error) or type(error).__name__
            finally:
                if sandbox is not None:
                    try:
                        await sandbox.kill()
                    except Exception:  # noqa: BLE001
                        pass

    async def run_batch(self, batch: BatchRequest) -> list[tuple[str | None, str | None]]:
        return await asyncio.gather(*(self._run(s, lang, batch) for s, lang in zip(batch.scripts, batch.languages)))


class MorphBackend:
    """open-r1's Morph router: one MorphCloud sandbox per script."""

    def __init__(self, max_num_sandboxes: int):
        from .providers import MorphProvider

        self.provider = MorphProvider(max_num_sandboxes)

    async def run_batch(self, batch: BatchRequest) -> list[tuple[str | None, str | None]]:
        semaphore = asyncio.Semaphore(self.provider.num_parallel)
        rates = await asyncio.gather(
            *(self.provider._run(s, lang, semaphore) for s, lang in zip(batch.scripts, batch.languages))
        )
        return [(None, "the Morph sandbox failed") if r is None else (str(r), None) for r in rates]


def create_app(
    backend: str = "local",
    max_num_sandboxes: int = 20,
    response_format: str = "e2b",
    limits: SandboxLimits | None = None,
):
    """The FastAPI app of a router serving `backend` and answering in `response_format` (e2b or morph)."""
    from fastapi import FastAPI, HTTPException

    if backend == "local":
        runner = LocalBackend(max_num_sandboxes, limits or SandboxLimits())
    elif backend == "e2b":
        runner = E2BBackend(max_num_sandboxes)
    elif backend == "morph":
        runner = MorphBackend(max_num_sandboxes)
    else:
        raise ValueError(f"Unknown router backend {backend!r}: use local, e2b or morph.")
    app = FastAPI(title=f"open-r1 code router ({backend})")

    @app.get("/health")
    async def health():
        return {"status": "ok", "backend": backend, "max_num_sandboxes": max_num_sandboxes}

    @app.post("/execute_batch")
    async def execute_batch(batch: BatchRequest):
        if len(batch.languages) != len(batch.scripts):
            raise HTTPException(422, f"Got {len(batch.scripts)} scripts and {len(batch.languages)} languages.")
        try:
            outcomes = await runner.run_batch(batch)
        except ValueError as error:  # e.g. a language the backend cannot run
            raise HTTPException(422, str(error)) from error
        except Exception as error:  # noqa: BLE001 - the backend itself broke: each row says so, the service stays up
            logger.exception("The %s backend failed on a batch of %d scripts", backend, len(batch.scripts))
            outcomes = [(None, f"the router's backend failed: {type(error).__name__}: {error}")] * len(batch.scripts)
        if response_format == "morph":
            return [_morph_result(text, error) for text, error in outcomes]
        return [_e2b_result(text, error) for text, error in outcomes]

    return app


def add_router_arguments(parser, default_backend: str) -> None:
    parser.add_argument("--host", default="0.0.0.0", help="Address to listen on (0.0.0.0: every interface).")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max_num_sandboxes", type=int, default=20, help="Scripts run at once, all clients together.")
    parser.add_argument(
        "--provider",
        choices=[default_backend, "local"],
        default=default_backend,
        help="Where scripts run: the cloud service, or `local` (this machine's sandbox, no key).",
    )
    parser.add_argument("--timeout_s", type=float, default=5.0, help="local: wall/CPU seconds per test case.")
    parser.add_argument("--memory_mb", type=int, default=1024, help="local: memory per process.")
    parser.add_argument("--max_processes", type=int, default=64, help="local: processes per program.")
    parser.add_argument("--max_output_bytes", type=int, default=1 << 20, help="local: captured output per stream.")


def serve(args, response_format: str) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    limits = SandboxLimits(
        timeout_s=args.timeout_s,
        memory_mb=args.memory_mb,
        max_processes=args.max_processes,
        max_output_bytes=args.max_output_bytes,
    )
    app = create_app(args.provider, args.max_num_sandboxes, response_format, limits)
    uvicorn.run(app, host=args.host, port=args.port)


__all__ = ["BatchRequest", "create_app", "add_router_arguments", "serve", "parse_rate"]
