"""src/open_r1/generate.py: the distilabel pipeline on a local Ray instance against `transformers serve` (tiny model)."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT, entry_point_env

from open_r1.generate import build_distilabel_pipeline, check_columns, template_variables
from open_r1.utils.generation import free_port


@pytest.fixture(scope="module")
def server(tiny_server):
    return tiny_server


@pytest.fixture
def problems(tmp_path) -> Path:
    path = tmp_path / "problems.jsonl"
    path.write_text(
        "".join(json.dumps({"problem": f"What is {i} + 2 - 1?", "answer": str(i + 1)}) + "\n" for i in range(5))
    )
    return path


def _generate(
    *args: str, tmp_path: Path, timeout: float = 300, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = entry_point_env()
    env.update(extra_env or {})
    env["DISTILABEL_CACHE_DIR"] = str(tmp_path / "distilabel-cache")  # no leaks between runs or into ~/.cache
    env["RAY_DEDUP_LOGS"] = "0"
    return subprocess.run(
        [sys.executable, "src/open_r1/generate.py", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_writes_every_row_with_k_generations_on_ray(server, problems, tmp_path):
    # A Ray cluster that is gone (a finished Slurm job's head) is still named in the temp dir's ray_current_cluster;
    # the pipeline must start its own instance instead of trying to join that one. A short folder of our own keeps
    # Ray's socket paths under the Unix limit and the machine's /tmp/ray out of the test.
    ray_tmpdir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    (ray_tmpdir / "ray").mkdir()
    (ray_tmpdir / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{free_port()}")
    output = tmp_path / "distilled"
    try:
        result = _generate(
            "--hf-dataset", str(problems), "--prompt-column", "problem", "--model", server.model_name,
            "--vllm-server-url", server.base_url, "--num-generations", "3", "--max-new-tokens", "4",
            "--temperature", "0.8", "--input-batch-size", "2", "--output-dir", str(output),
            tmp_path=tmp_path, extra_env={"RAY_TMPDIR": str(ray_tmpdir)},
        )  # fmt: skip
    finally:
        shutil.rmtree(ray_tmpdir, ignore_errors=True)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "Started a local Ray instance" in result.stdout  # it really ran on Ray, not the local pipeline

    from open_r1.utils.data import load_dataset_any

    generated = load_dataset_any(str(output), "default", "train")
    assert sorted(generated["problem"]) == sorted(f"What is {i} + 2 - 1?" for i in range(5))  # each row once
    for row in generated:
        # transformers serve ignores `n`: the three completions are topped up one request at a time.
        assert len(row["generation"]) == 3 and all(isinstance(g, str) for g in row["generation"])
        assert row["model_name"] == server.model_name
        assert row["answer"] == str(int(row["problem"].split()[2]) + 1)  # other columns travel with their row
    statistics = [m["statistics_text_generation_0"] for m in generated[0]["distilabel_metadata"]]
    assert all(s["output_tokens"] <= 4 for s in statistics)


def test_missing_prompt_column_fails_before_generating(server, problems, tmp_path):
    result = _generate(
        "--hf-dataset", str(problems), "--prompt-column", "question", "--model", server.model_name,
        "--vllm-server-url", server.base_url, "--output-dir", str(tmp_path / "out"),
        tmp_path=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "has no column 'question'" in result.stdout and "['problem', 'answer']" in result.stdout
    assert "--prompt-column" in result.stdout
    assert "Ray" not in result.stdout and not (tmp_path / "out").exists()


def test_bad_server_url_fails_fast(problems, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = _generate(
        "--hf-dataset", str(problems), "--prompt-column", "problem", "--model", "m",
        "--vllm-server-url", url, "--output-dir", str(tmp_path / "out"), tmp_path=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"No generation server answers at {url}" in result.stdout


def test_an_output_destination_is_required(problems, tmp_path):
    result = _generate("--hf-dataset", str(problems), "--model", "m", tmp_path=tmp_path, timeout=60)
    assert result.returncode == 2 and "--output-dir" in result.stdout


def test_pipeline_is_built_as_open_r1_builds_it():
    pipeline = build_distilabel_pipeline(
        model="m", base_url="http://127.0.0.1:1/v1", prompt_column="problem", prompt_template="Solve: {{ instruction }}",
        temperature=0.6, top_p=0.95, max_new_tokens=128, num_generations=4, input_batch_size=8, client_replicas=2,
        timeout=30, retries=3,
    )  # fmt: skip
    assert type(pipeline).__name__ == "RayPipeline"
    (step_name,) = pipeline.dag.G.nodes
    step = pipeline.dag.get_step(step_name)["step"]
    assert step.num_generations == 4 and step.group_generations
    assert step.input_mappings == {"instruction": "problem"} and step.input_batch_size == 8
    assert step.resources.replicas == 2
    assert step.llm.generation_kwargs == {"max_new_tokens": 128, "temperature": 0.6, "top_p": 0.95}
    assert (step.llm.timeout, step.llm.max_retries, step.llm.model) == (30, 3, "m")


def test_template_columns_are_checked():
    assert template_variables("{{ instruction }} in {{ language }}") == ["instruction", "language"]
    check_columns(["problem", "language"], "problem", "{{ instruction }} in {{ language }}", "d")
    with pytest.raises(ValueError, match="no column 'language'.*Change --prompt-template"):
        check_columns(["problem"], "problem", "{{ instruction }} in {{ language }}", "d")
    with pytest.raises(ValueError, match="no column 'prompt'.*--prompt-column"):
        check_columns(["problem"], "prompt", "{{ instruction }}", "d")
