"""scripts/generate_reasoning.py against a real `transformers serve` of the tiny model on 127.0.0.1.

What a user relies on: every dataset row ends up in the output exactly once, with `num_generations` completions,
even when the server goes away mid-run or the script itself is killed and rerun.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, entry_point_env, run_command

from open_r1.utils.generation import free_port


SCRIPT = str(REPO_ROOT / "scripts" / "generate_reasoning.py")


@pytest.fixture(scope="module")
def server(tiny_server):
    return tiny_server


@pytest.fixture
def problems(tmp_path) -> Path:
    path = tmp_path / "problems.jsonl"
    rows = [{"problem": f"What is {i % 10} + 1 - 0?", "answer": str(i % 10 + 1), "id": f"p{i}"} for i in range(40)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _command(server, dataset: Path, output: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        SCRIPT,
        "--dataset-name",
        str(dataset),
        "--prompt-column",
        "problem",
        "--output-file",
        str(output),
        "--api-addr",
        server.base_url if server else f"http://127.0.0.1:{free_port()}/v1",
        "--model",
        server.model_name if server else "tiny",
        "--temperature",
        "1.0",
        "--backoff-base",
        "0.2",
        "--backoff-max",
        "1.0",
        *extra,
    ]


def _run(command, timeout=240) -> subprocess.CompletedProcess:
    return run_command(command, timeout=timeout)


def _start(command, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=REPO_ROOT, env=entry_point_env(), stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for_rows(path: Path, count: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(_lines(path)) < count:
        assert process.poll() is None, f"the script exited ({process.returncode}) before writing {count} rows"
        assert time.monotonic() < deadline, f"fewer than {count} rows after {timeout} s"
        time.sleep(0.05)


def _assert_every_row_once(output: Path, rows: int, key: str = "row_index") -> list[dict]:
    records = _lines(output)
    keys = [r[key] for r in records]
    assert len(keys) == len(set(keys)), f"duplicated rows: {sorted(k for k in keys if keys.count(k) > 1)}"
    expected = set(range(rows)) if key == "row_index" else {f"p{i}" for i in range(rows)}
    assert set(keys) == expected, f"missing rows: {sorted(expected - set(keys))}"
    return records


def test_every_row_gets_k_generations(server, problems, tmp_path):
    output = tmp_path / "out" / "traces.jsonl"
    result = _run(_command(server, problems, output, "--num-generations", "2", "--max-tokens", "4", "--max-rows", "6"))
    assert result.returncode == 0, result.stdout[-3000:]
    records = _assert_every_row_once(output, 6)
    for record in records:
        # `transformers serve` ignores `n`, so the second completion comes from a top-up request.
        assert len(record["generations"]) == 2 and all(isinstance(g, str) for g in record["generations"])
        assert len(record["finish_reasons"]) == 2 and record["finish_reasons"][0] in ("length", "stop")
        assert record["problem"] == f"What is {record['row_index'] % 10} + 1 - 0?"  # the input row is kept
        assert record["api_metadata"][0]["completion_tokens"] <= 4
    assert "Generating" in result.stdout  # the progress bar


def test_resumes_after_being_killed_without_losing_or_duplicating_rows(server, problems, tmp_path):
    output, log = tmp_path / "traces.jsonl", tmp_path / "run1.log"
    command = _command(server, problems, output, "--num-generations", "1", "--max-tokens", "8", "--uuid-column", "id")
    command += ["--max-rows", "16", "--max-concurrent", "2"]
    process = _start(command, log)
    try:
        _wait_for_rows(output, 3, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    written = len(_lines(output))
    assert written < 16, "the run finished before it was killed, so this test proves nothing; give it more rows"
    with output.open("a") as f:  # a line torn by the kill
        f.write('{"id": "p15", "generations": ["half a li')

    result = _run(command)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "partial line" in result.stdout
    assert f"{written} already in" in result.stdout
    _assert_every_row_once(output, 16, key="id")


@pytest.mark.slow
def test_survives_server_stopped_and_restarted_mid_run(server, problems, tmp_path):
    output, log = tmp_path / "traces.jsonl", tmp_path / "run.log"
    # 40 rows x 32 tokens: long enough on a fast machine that the outage lands mid-run (asserted below).
    command = _command(server, problems, output, "--num-generations", "1", "--max-tokens", "32")
    command += ["--max-concurrent", "2", "--max-retries", "100"]
    process = _start(command, log)
    try:
        _wait_for_rows(output, 3, process)
        server.stop()
        during_outage = len(_lines(output))
        time.sleep(2)  # long enough for the client to see refused connections and back off
        assert process.poll() is None, "the script gave up while the server was down"
        server.start()
        process.wait(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if server.process is None:  # leave the module's server running for the other tests
            server.start()
    text = log.read_text()
    assert process.returncode == 0, text[-3000:]
    assert during_outage < 40, "the run finished before the outage, so this test proves nothing"
    assert "Request failed" in text and "retry" in text
    _assert_every_row_once(output, 40)


def test_bad_server_url_fails_fast_with_a_clear_message(problems, tmp_path):
    result = _run(_command(None, problems, tmp_path / "out.jsonl"), timeout=60)
    assert result.returncode != 0
    assert "No generation server answers at http://127.0.0.1:" in result.stdout
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_prompt_column_names_the_columns(server, problems, tmp_path):
    command = _command(server, problems, tmp_path / "out.jsonl")
    command[command.index("--prompt-column") + 1] = "question"
    result = _run(command, timeout=120)
    assert result.returncode != 0
    assert "no prompt column 'question'" in result.stdout and "['problem', 'answer', 'id']" in result.stdout


def test_a_request_the_server_rejects_stops_the_run_at_once(server, problems, tmp_path):
    command = _command(server, problems, tmp_path / "out.jsonl", "--max-tokens", "4")
    command[command.index("--model") + 1] = "no-such-model"
    start = time.monotonic()
    result = _run(command, timeout=120)
    assert result.returncode == 2, result.stdout[-3000:]
    assert "rejected a request" in result.stdout and "no-such-model" in result.stdout
    assert time.monotonic() - start < 60  # no retries against a 4xx
    assert _lines(tmp_path / "out.jsonl") == []


def test_torn_last_line_is_cut_before_resuming(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        from generate_reasoning import repair_and_read_done
    finally:
        sys.path.pop(0)
    path = tmp_path / "out.jsonl"
    path.write_text('{"row_index": 0}\n{"row_index": 1}\n{"row_ind')
    assert repair_and_read_done(str(path), "row_index") == {0, 1}
    assert path.read_text() == '{"row_index": 0}\n{"row_index": 1}\n'
    path.write_text('{"row_index": 0}\nnot json\n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        repair_and_read_done(str(path), "row_index")
