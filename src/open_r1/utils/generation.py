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
"""Talking to an OpenAI-compatible generation server (vLLM, SGLang, `transformers serve`) and starting a local one.

Data generation (src/open_r1/generate.py, scripts/generate_reasoning.py) fails fast when the server cannot be
reached, instead of retrying for an hour against a typo. `TransformersServer` starts `transformers serve` on a
free loopback port: the tests use it, and so can anyone who wants to try the generation scripts on a laptop.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


SERVER_HINT = (
    "Start one first, e.g. `vllm serve <model> --port 8000` (GPU), `python -m sglang.launch_server --model-path "
    "<model> --port 8000`, or `transformers serve <model> --port 8000` (CPU), and pass its URL ending in /v1."
)


def normalize_base_url(url: str) -> str:
    """`http://host:8000` or `http://host:8000/v1/` -> `http://host:8000/v1` (what OpenAI clients expect)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Server URL {url!r} must start with http:// or https://, e.g. http://localhost:8000/v1")
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def server_root(base_url: str) -> str:
    return normalize_base_url(base_url)[: -len("/v1")]


def check_server(base_url: str, timeout: float = 10.0) -> None:
    """Raises ConnectionError naming the URL if nothing answers there. Any HTTP answer counts as reachable.

    Only connection-level failures are errors: servers differ in which of /health and /v1/models they serve (and
    `transformers serve` answers /v1/models with a 500 when no hub cache exists), but any answer means a server.
    """
    url = server_root(base_url) + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # a server answered, just not on /health
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ConnectionError(f"No generation server answers at {base_url} ({reason}). {SERVER_HINT}") from None


def wait_for_server(base_url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Polls `check_server` until it answers, `process` dies, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"The server process exited with code {process.returncode} before it was ready.")
        try:
            check_server(base_url, timeout=2.0)
            return
        except ConnectionError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"The server at {base_url} was not ready after {timeout:.0f} s.") from None
            time.sleep(0.25)


def served_models(base_url: str, timeout: float = 30.0) -> dict[str, dict]:
    """The models an OpenAI-compatible server serves (its /v1/models), by name; vLLM's entries hold `max_model_len`
    and `root` (the folder or hub id it loaded). Raises OSError where nothing answers."""
    with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=timeout) as response:
        return {entry["id"]: entry for entry in json.load(response).get("data", []) if "id" in entry}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TransformersServer:
    """`transformers serve <model>` on 127.0.0.1, started on enter and always stopped on exit.

    `stop()` and `start()` can be called in between to simulate an outage; the port stays the same so clients keep
    their URL. The model is pinned (FORCE_MODEL), so requests must name it as `model_name` does.

        with TransformersServer("data/tiny/model") as server:
            ...  # server.base_url, server.model_name
    """

    def __init__(
        self, model: str, port: int | None = None, startup_timeout: float = 180.0, log_path: str | None = None
    ):
        self.model_name = str(model)
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        # `transformers serve` lists models from the hub cache and fails when there is none; give it an empty one.
        self._cache = tempfile.TemporaryDirectory(prefix="open-r1-serve-cache-")

    def _command(self) -> list[str]:
        executable = Path(sys.executable).with_name("transformers")
        base = [str(executable)] if executable.exists() else [sys.executable, "-m", "transformers.cli.transformers"]
        return [*base, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--device", "cpu", self.model_name]

    def start(self) -> "TransformersServer":
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_CACHE=self._cache.name)
        env.setdefault("OMP_NUM_THREADS", "1")
        log = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(self._command(), env=env, stdout=log, stderr=subprocess.STDOUT)
        if log is not subprocess.DEVNULL:
            log.close()
        try:
            wait_for_server(self.base_url, self.startup_timeout, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def __enter__(self) -> "TransformersServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._cache.cleanup()
