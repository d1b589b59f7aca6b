"""The Morph provider through the real morphcloud SDK, against a loopback stand-in for the Morph API.

No Morph key exists here and tests never leave the machine, so the service is played by a small HTTP server on
127.0.0.1 speaking the routes and JSON shapes of the Morph REST API that the SDK calls (`morphcloud.api`): create a
snapshot (idempotent by digest), start an instance from it (pending, then ready), run a command in it (`exec`:
exit code, stdout, stderr), stop it. Commands really run, each "instance" in a folder of its own. Everything on the
client side is the installed SDK: `MorphCloudClient`, its HTTP client, its models and its waiting loop. The SDK is
pointed at the stand-in by its own documented settings, MORPH_API_KEY and MORPH_BASE_URL.
"""

import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from conftest import REPO_ROOT, entry_point_env

from open_r1.rewards import code_reward
from open_r1.utils.code_execution.evaluation_script import code_evaluation_script
from open_r1.utils.code_execution.providers import MorphProvider, RouterProvider, get_provider


API_KEY = "test-morph-key"
TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}]
ADD = "a, b = map(int, input().split())\nprint(a + b)"


class MorphStandIn(ThreadingHTTPServer):
    """The Morph API's snapshot and instance routes, with instances that run commands on this machine."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.snapshots: dict[str, dict] = {}  # digest -> snapshot
        self.snapshot_requests: list[dict] = []
        self.instances: dict[str, dict] = {}
        self.stopped: list[str] = []
        self.commands: list[list[str]] = []
        self.fail_exec = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def instance_json(self, instance: dict) -> dict:
        return {key: value for key, value in instance.items() if not key.startswith("_")}


class _Handler(BaseHTTPRequestHandler):
    server: MorphStandIn

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._reply(401, {"detail": "invalid API key"})
            return False
        return True

    def do_POST(self):
        if not self._authorised():
            return
        url, server = urlparse(self.path), self.server
        parts = url.path.strip("/").split("/")
        body = self._body()
        if parts == ["snapshot"]:
            with server.lock:
                server.snapshot_requests.append(body)
                digest = body.get("digest")
                if digest not in server.snapshots:
                    server.snapshots[digest] = {
                        "id": f"snapshot_{next(server.ids)}",
                        "object": "snapshot",
                        "created": int(time.time()),
                        "status": "ready",
                        "spec": {k: body[k] for k in ("vcpus", "memory", "disk_size")},
                        "refs": {"image_id": body["image_id"]},
                        "digest": digest,
                        "metadata": body.get("metadata") or {},
                    }
                return self._reply(200, server.snapshots[digest])
        if parts == ["instance"]:
            (snapshot_id,) = parse_qs(url.query)["snapshot_id"]
            snapshot = next(s for s in server.snapshots.values() if s["id"] == snapshot_id)
            with server.lock:
                instance_id = f"morphvm_{next(server.ids)}"
                server.instances[instance_id] = {
                    "id": instance_id,
                    "object": "instance",
                    "created": int(time.time()),
                    "status": "pending",  # ready at the first refresh, as a booting VM
                    "spec": snapshot["spec"],
                    "refs": {"snapshot_id": snapshot_id, "image_id": snapshot["refs"]["image_id"]},
                    "networking": {"internal_ip": None, "http_services": []},
                    "ttl": {"ttl_seconds": body.get("ttl_seconds"), "ttl_action": body.get("ttl_action")},
                    "metadata": body.get("metadata") or {},
                    "_dir": tempfile.mkdtemp(prefix="morph-stand-in-"),
                }
            return self._reply(200, server.instance_json(server.instances[instance_id]))
        if len(parts) == 3 and parts[0] == "instance" and parts[2] == "exec":
            instance = server.instances.get(parts[1])
            if instance is None or instance["status"] != "ready" or parts[1] in server.stopped:
                return self._reply(409, {"detail": "instance is not running"})
            if server.fail_exec:
                return self._reply(500, {"detail": "internal error"})
            command = body["command"]
            server.commands.append(command)
            if command[0] == "python3":
                command = [sys.executable, *command[1:]]
            done = subprocess.run(command, cwd=instance["_dir"], capture_output=True, text=True, timeout=120)
            return self._reply(200, {"exit_code": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
        self._reply(404, {"detail": f"no route POST {url.path}"})

    def do_GET(self):
        if not self._authorised():
            return
        parts = urlparse(self.path).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "instance" and parts[1] in self.server.instances:
            instance = self.server.instances[parts[1]]
            instance["status"] = "ready"
            return self._reply(200, self.server.instance_json(instance))
        self._reply(404, {"detail": "not found"})

    def do_DELETE(self):
        if not self._authorised():
            return
        parts = urlparse(self.path).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "instance" and parts[1] in self.server.instances:
            self.server.stopped.append(parts[1])
            shutil.rmtree(self.server.instances[parts[1]]["_dir"], ignore_errors=True)
            return self._reply(200, {})
        self._reply(404, {"detail": "not found"})


@pytest.fixture
def morph(monkeypatch):
    server = MorphStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MORPH_API_KEY", API_KEY)
    monkeypatch.setenv("MORPH_BASE_URL", server.url)
    yield server
    server.shutdown()
    server.server_close()
    for instance in server.instances.values():
        shutil.rmtree(instance["_dir"], ignore_errors=True)


def _answer(code: str) -> str:
    return f"<think>\nok\n</think>\n<answer>\n```python\n{code}\n```\n</answer>"


def test_the_code_reward_on_morph_scores_each_program_in_its_own_instance(morph):
    programs = [ADD, "print(3)", ADD + "\nraise SystemExit(1)", "print('nope')"]
    rewards = code_reward(
        [_answer(code) for code in programs],
        provider_type="morph",
        num_parallel=2,
        verification_info=[{"language": "python", "test_cases": TESTS}] * len(programs),
    )
    assert rewards == [1.0, 0.5, 0.0, 0.0]
    # One snapshot of the sandbox image, created once (found again by its digest), one instance per script, each
    # started with a TTL (a crashed trainer leaves nothing running) and stopped after its script.
    assert {request["image_id"] for request in morph.snapshot_requests} == {"morphvm-sandbox"}
    assert len(morph.snapshots) == 1
    assert len(morph.instances) == 4 and sorted(morph.stopped) == sorted(morph.instances)
    assert all(instance["ttl"]["ttl_seconds"] == MorphProvider.TIMEOUT_S for instance in morph.instances.values())
    assert all(command[:2] == ["python3", "-c"] for command in morph.commands)


def test_a_script_too_long_for_one_argument_is_written_to_a_file_first(morph):
    # Test cases of competitive-programming size: the script is far over Linux's 128 KiB per argument.
    big = [{"input": "1 2\n" + "#" * 150_000 + "\n", "output": "3\n"}, *TESTS]
    script = code_evaluation_script(ADD, big)
    assert len(script.encode()) > MorphProvider.MAX_INLINE_BYTES
    assert get_provider("morph").execute_scripts([script], ["python"]) == [1.0]
    assert all(len(argument.encode()) < 128 * 1024 for command in morph.commands for argument in command)
    assert len(morph.commands) > 2  # written in pieces, then run from the file
    assert morph.commands[-1] == ["python3", MorphProvider.SCRIPT_FILE]


def test_a_service_failure_scores_none_and_still_stops_the_instance(morph):
    morph.fail_exec = True
    script = code_evaluation_script(ADD, TESTS)
    assert get_provider("morph").execute_scripts([script, script], ["python"] * 2) == [None, None]
    assert len(morph.instances) == 2 and sorted(morph.stopped) == sorted(morph.instances)


def test_a_wrong_key_scores_none(morph, monkeypatch):
    monkeypatch.setenv("MORPH_API_KEY", "wrong")
    script = code_evaluation_script(ADD, TESTS)
    assert get_provider("morph").execute_scripts([script], ["python"]) == [None]
    assert morph.instances == {}


def test_the_morph_router_runs_scripts_on_morph_by_default(morph):
    # scripts/morph_router.py as open-r1 runs it (no --provider: Morph), the SDK configured by its environment.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**entry_point_env(), "MORPH_API_KEY": API_KEY, "MORPH_BASE_URL": morph.url}
    router = subprocess.Popen(
        [sys.executable, "scripts/morph_router.py", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and router.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        scripts = [code_evaluation_script(code, TESTS) for code in (ADD, "print(3)")]
        assert RouterProvider(f"127.0.0.1:{port}").execute_scripts(scripts, ["python"] * 2) == [1.0, 0.5]
        assert len(morph.instances) == 2 and sorted(morph.stopped) == sorted(morph.instances)
    finally:
        router.terminate()
        router.wait(timeout=30)
