"""Data generation against a real `vllm serve` of the tiny model on 127.0.0.1 (vLLM's CPU build on this machine).

The same commands as tests/test_generate.py and tests/test_generate_reasoning.py, against the server most users run.
What differs from `transformers serve`, and what these tests pin down:
- vLLM honours `n`: k completions come back from one request per row, not from top-up requests;
- vLLM refuses `n > 1` with greedy decoding (temperature 0): the clients then ask for one completion per request;
- vLLM serves the model under the name it was given (here the model's path) and answers 404 to any other;
- vLLM rejects `max_tokens` at or above its `max_model_len` (512 here, so generate.py's default 8192 cannot run).
Both generate.py errors are caught before Ray starts; otherwise every row would come back without generations.
"""

import json
from pathlib import Path

import pytest
from test_generate import _generate
from test_generate_reasoning import _command, _lines, _run

from open_r1.utils.data import load_dataset_any


@pytest.fixture
def problems(tmp_path) -> Path:
    path = tmp_path / "problems.jsonl"
    rows = [{"problem": f"What is {i} + 2 - 1?", "answer": str(i + 1), "id": f"p{i}"} for i in range(5)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _chat_requests(server) -> int:
    """Chat requests the server has answered so far, from its access log."""
    return Path(server.log_path).read_text(errors="replace").count("POST /v1/chat/completions")


# --- src/open_r1/generate.py (distilabel on Ray) -------------------------------------------------------------------


@pytest.mark.slow
def test_distils_k_sampled_generations_per_row_with_one_request_each(vllm_server, problems, tmp_path):
    output = tmp_path / "distilled"
    before = _chat_requests(vllm_server)
    # No --model: the server serves one, under its path, and that is the name the requests use.
    result = _generate(
        "--hf-dataset", str(problems), "--prompt-column", "problem", "--vllm-server-url", vllm_server.base_url,
        "--num-generations", "3", "--max-new-tokens", "4", "--temperature", "0.8", "--input-batch-size", "2",
        "--output-dir", str(output), tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:]
    assert "Started a local Ray instance" in result.stdout
    assert "5 rows x 3 generations; 0 rows with a failed generation." in result.stdout

    generated = load_dataset_any(str(output), "default", "train")
    assert generated.column_names == ["problem", "answer", "id", "generation", "distilabel_metadata", "model_name"]
    assert sorted(generated["id"]) == [f"p{i}" for i in range(5)]
    for row in generated:
        assert len(row["generation"]) == 3 and all(isinstance(g, str) for g in row["generation"])
        assert row["model_name"] == vllm_server.model_name
        assert row["answer"] == str(int(row["problem"].split()[2]) + 1)
        # distilabel copies the request's usage to each of its completions: 3 completions of at most 4 tokens each.
        statistics = [m["statistics_text_generation_0"] for m in row["distilabel_metadata"]]
        assert all(0 < s["output_tokens"] <= 3 * 4 for s in statistics)
    # vLLM honours n: one request per row, plus generate.py's one-token check of the settings; no top-ups.
    assert _chat_requests(vllm_server) - before == 5 + 1


def test_greedy_decoding_asks_one_completion_per_request(vllm_server):
    from open_r1.utils.distilabel_llm import OpenAICompatibleLLM

    llm = OpenAICompatibleLLM(base_url=vllm_server.base_url, api_key="x", model=vllm_server.model_name, max_retries=0)
    llm.load()
    before = _chat_requests(vllm_server)
    (output,) = llm.generate(
        inputs=[[{"role": "user", "content": "What is 1 + 1?"}]], num_generations=3, max_new_tokens=6, temperature=0
    )
    assert len(output["generations"]) == 3 and len(set(output["generations"])) == 1  # greedy: the same three times
    assert _chat_requests(vllm_server) - before == 3  # n=3 would be refused: "n must be 1 when using greedy sampling"


def test_a_model_name_the_server_does_not_serve_fails_before_ray(vllm_server, problems, tmp_path):
    result = _generate(
        "--hf-dataset", str(problems), "--prompt-column", "problem", "--model", "tiny",
        "--vllm-server-url", vllm_server.base_url, "--max-new-tokens", "4", "--output-dir", str(tmp_path / "out"),
        tmp_path=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout[-3000:]
    assert "HTTP 404: The model `tiny` does not exist" in result.stdout
    assert f"It serves [{vllm_server.model_name!r}]" in result.stdout  # the name to pass instead
    assert "Ray" not in result.stdout and not (tmp_path / "out").exists()


def test_max_new_tokens_beyond_the_served_context_fails_before_any_request(vllm_server):
    from open_r1.generate import check_generation_settings, served_models

    models = served_models(vllm_server.base_url)
    assert models[vllm_server.model_name]["max_model_len"] == 512
    before = _chat_requests(vllm_server)
    with pytest.raises(
        ValueError, match=r"--max-new-tokens 8192 leaves no room.*context of 512 tokens.*--max-model-len"
    ):
        check_generation_settings(
            vllm_server.model_name, vllm_server.base_url, models, {"max_new_tokens": 8192}, 1, 30
        )
    assert _chat_requests(vllm_server) == before
    # Within the context, the one-token request goes through.
    check_generation_settings(vllm_server.model_name, vllm_server.base_url, models, {"max_new_tokens": 64}, 2, 30)


# --- scripts/generate_reasoning.py ----------------------------------------------------------------------------------


def test_reasoning_k_generations_from_one_request_per_row(vllm_server, problems, tmp_path):
    output = tmp_path / "traces.jsonl"
    command = _command(vllm_server, problems, output, "--num-generations", "3", "--max-tokens", "4")
    del command[command.index("--model") : command.index("--model") + 2]  # the served model is found by itself
    result = _run(command)
    assert result.returncode == 0, result.stdout[-3000:]
    records = _lines(output)
    assert sorted(r["id"] for r in records) == [f"p{i}" for i in range(5)]
    for record in records:
        assert len(record["generations"]) == 3 and all(isinstance(g, str) for g in record["generations"])
        assert len(record["finish_reasons"]) == 3 and set(record["finish_reasons"]) <= {"length", "stop"}
        assert len(record["api_metadata"]) == 1  # vLLM honoured n=3: no top-up request
        assert record["api_metadata"][0]["completion_tokens"] <= 3 * 4


def test_reasoning_greedy_decoding_with_k_generations(vllm_server, problems, tmp_path):
    output = tmp_path / "traces.jsonl"
    command = _command(vllm_server, problems, output, "--num-generations", "2", "--max-tokens", "4")
    command[command.index("--temperature") + 1] = "0"
    result = _run(command)
    assert result.returncode == 0, result.stdout[-3000:]  # with n=2 vLLM would answer 400 and stop the run
    for record in _lines(output):
        assert len(record["api_metadata"]) == 2 and record["generations"][0] == record["generations"][1]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--model", "tiny", "The model `tiny` does not exist"),
        ("--max-tokens", "8192", "max_tokens=8192 cannot be greater than max_model_len=512"),
    ],
)
def test_reasoning_stops_at_once_on_what_vllm_rejects(vllm_server, problems, tmp_path, flag, value, message):
    output = tmp_path / "traces.jsonl"
    command = _command(vllm_server, problems, output, "--max-tokens", "4")
    command[command.index(flag) + 1] = value
    result = _run(command, timeout=120)
    assert result.returncode == 2, result.stdout[-3000:]
    assert "rejected a request" in result.stdout and message in result.stdout
    assert _lines(output) == []
