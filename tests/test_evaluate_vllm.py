"""`make evaluate` on its default backend, for real: `vllm serve` (vLLM's CPU build here) and lighteval against it.

lighteval 0.13's own vLLM backend cannot run with the vLLM trl needs (it asks for vllm<0.10.2 and imports a module
vLLM 0.31 no longer has), so the default backend serves the model and evaluates through the server
(src/open_r1/utils/served_model.py). These tests run that path on the tiny model and the shipped benchmark copies,
compare it with the transformers backend under greedy decoding, and check that the generation cache serves a repeat.
Each engine takes about a minute to start on 2 cores: one is started by `make evaluate` itself, one is shared by the
tests that evaluate through a running server (`SERVER_URL`).
"""

import json
import re
import shutil
import socket
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, entry_point_env
from transformers import AutoModelForCausalLM

from open_r1.utils.evaluation import vllm_server


sys.path.insert(0, str(REPO_ROOT / "scripts"))
import upload_details  # noqa: E402


pytestmark = pytest.mark.slow
GREEDY = {"TASK": "math_500", "MAX_SAMPLES": "8", "MAX_NEW_TOKENS": "48", "TEMPERATURE": "0"}
CONTEXT = 2048  # the MATH prompts need more than the tiny model's 512 (see decisive_model); both backends get it


def make_evaluate(**variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in entry_point_env().items() if key not in ("BACKEND", "DATA_DIR", "NUM_GPUS")}
    env.update(PYTHON=sys.executable, **variables)
    return subprocess.run(
        ["make", "--no-print-directory", "evaluate"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )


def read_run(output_dir) -> tuple[dict, list[dict]]:
    (results_file,) = output_dir.glob("results_*.json")
    (details_file,) = output_dir.glob("details/*/details_*.parquet")  # beside the results, as the README says
    return json.loads(results_file.read_text()), list(upload_details.load_details([str(details_file)])["train"])


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def decisive_model(tiny_world, tmp_path_factory):
    """The tiny model with its logits scaled up 30 times (the final norm's weight) and a declared context that fits
    the MATH prompts. The same random network, whose next-token choices are no longer near-ties (top-2 margins of
    about 0.1 become about 3), so greedy decoding is decided by the model and not by the last bits of two kernels'
    float32 rounding. The context is declared, not only served: vLLM sizes its rotary table to the declared context,
    and served past it (VLLM_ALLOW_LONG_MAX_MODEL_LEN) the tiny model answered a 779-token prompt with an empty
    string where transformers, which computes the rotation for any position, wrote its usual answer."""
    folder = tmp_path_factory.mktemp("decisive") / "model"
    shutil.copytree(tiny_world / "model", folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    with torch.no_grad():
        model.model.norm.weight.mul_(30.0)
    model.config.max_position_embeddings = CONTEXT
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def served_tiny_model(decisive_model, tmp_path_factory):
    """The model served as `make evaluate` serves it (open_r1.utils.evaluation.vllm_server), with a context that
    fits the MATH prompts."""
    log = tmp_path_factory.mktemp("served") / "vllm_server.log"
    server = vllm_server(str(decisive_model), max_model_length=CONTEXT, log_path=str(log))
    server.env.update(entry_point_env())
    with server:
        yield server


def test_make_evaluate_with_no_backend_serves_the_model_and_writes_its_result(tiny_world, tmp_path):
    """The README's command: `make evaluate MODEL=data/tiny/model TASK=aime24 MAX_SAMPLES=2`, nothing else set."""
    output_dir = tmp_path / "evals"
    result = make_evaluate(MODEL=str(tiny_world / "model"), TASK="aime24", MAX_SAMPLES="2", OUTPUT_DIR=str(output_dir))
    assert result.returncode == 0, result.stdout[-6000:]
    server_line = next(line for line in result.stdout.splitlines() if "open_r1.utils.vllm_runtime serve" in line)
    port = int(re.search(r"--port (\d+)", server_line).group(1))
    assert "--max-model-len 512" in server_line  # the tiny model's own context, not the published 32768
    # ... which leaves the AIME prompts far less than the published 32768 new tokens: said before generating.
    assert "warning: 2 of 2 prompts leave less than the 32768 new tokens asked in the server's context of 512" in (
        result.stdout
    )
    assert not port_is_open(port)  # the server stopped with the evaluation

    run, details = read_run(output_dir)
    assert run["config_general"]["max_samples"] == 2
    assert 0.0 <= run["results"]["open_r1:aime24|0"]["pass@k:k=1&n=64"] <= 1.0
    # Published protocol: 64 samples per AIME problem, all kept, sampled (temperature 0.6).
    assert len(details) == 2 and all(len(row["model_response"]["text"]) == 64 for row in details)
    assert all(len(set(row["model_response"]["text"])) > 1 for row in details)


def test_greedy_vllm_and_transformers_give_the_same_generations_and_score(served_tiny_model, decisive_model, tmp_path):
    """Temperature 0, float32, the same context and budget: the two backends must agree answer for answer."""
    model = str(decisive_model)
    served = make_evaluate(
        MODEL=model, SERVER_URL=served_tiny_model.base_url, OUTPUT_DIR=str(tmp_path / "v"), **GREEDY
    )
    assert served.returncode == 0, served.stdout[-6000:]
    assert "prompts leave less than" not in served.stdout  # 48 new tokens fit the 2048 context
    local = make_evaluate(
        MODEL=model, BACKEND="accelerate", MAX_MODEL_LENGTH=str(CONTEXT), OUTPUT_DIR=str(tmp_path / "t"), **GREEDY
    )
    assert local.returncode == 0, local.stdout[-6000:]

    (served_run, served_rows), (local_run, local_rows) = read_run(tmp_path / "v"), read_run(tmp_path / "t")
    served_texts = {row["doc"]["query"]: row["model_response"]["text"] for row in served_rows}
    local_texts = {row["doc"]["query"]: row["model_response"]["text"] for row in local_rows}
    assert len(served_texts) == 8 and served_texts.keys() == local_texts.keys()
    assert all(len(texts) == 1 and texts[0] for texts in served_texts.values())  # one greedy answer, not empty
    assert served_texts == local_texts
    metric = "pass@k:k=1&n=1"
    assert served_run["results"]["open_r1:math_500|0"][metric] == local_run["results"]["open_r1:math_500|0"][metric]


def test_a_repeated_evaluation_is_answered_from_the_cache(served_tiny_model, decisive_model, tmp_path):
    """The same model, weights and settings again: lighteval's cache (keyed by the served folder's weights) answers,
    and the server receives no generation request."""
    log = served_tiny_model.log_path
    variables = dict(MODEL=str(decisive_model), SERVER_URL=served_tiny_model.base_url, **GREEDY)
    first = make_evaluate(OUTPUT_DIR=str(tmp_path / "first"), **variables)
    assert first.returncode == 0, first.stdout[-6000:]
    requests_before = open(log).read().count("POST /v1/chat/completions")
    assert requests_before >= 8
    # Same output dir, so the same cache; the results and details are written again from it.
    for written in [*(tmp_path / "first").glob("results_*.json"), (tmp_path / "first" / "details")]:
        shutil.rmtree(written) if written.is_dir() else written.unlink()
    again = make_evaluate(OUTPUT_DIR=str(tmp_path / "first"), **variables)
    assert again.returncode == 0, again.stdout[-6000:]
    assert open(log).read().count("POST /v1/chat/completions") == requests_before
    assert len(read_run(tmp_path / "first")[1]) == 8


def test_a_server_that_serves_another_model_is_refused_in_one_line(served_tiny_model, tmp_path):
    result = make_evaluate(MODEL="org/other-model", SERVER_URL=served_tiny_model.base_url, TASK="aime24")
    assert result.returncode != 0
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: the server at {served_tiny_model.base_url} serves") and "org/other-model" in line
