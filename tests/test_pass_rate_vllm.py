"""The pass-rate filter with `generation_backend: vllm` on a CPU: vLLM's CPU build, in the script's own process.

A user on a machine without a GPU can ask for vLLM; the engine then gets `cpu_settings()` (a fixed KV cache, float32,
eager mode), said in one warning line. Greedy decoding makes the two backends comparable token for token: the same
tiny model in float32 gives the same completions, and so the same pass rates, from vLLM and from transformers.
"""

import logging
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, entry_point_env
from trl import ModelConfig

from open_r1.configs import GRPOConfig
from open_r1.utils.data import load_dataset_any


sys.path.insert(0, str(REPO_ROOT / "scripts" / "pass_rate_filtering"))
from compute_pass_rate import vllm_engine_kwargs  # noqa: E402


SCRIPT = "scripts/pass_rate_filtering/compute_pass_rate.py"
CPU_WARNING = "No CUDA device. vLLM on the CPU: float32, eager mode, a 1 GiB KV cache"


@pytest.mark.parametrize(
    ("dtype", "expected"), [("float32", "float32"), ("auto", "float32"), ("bfloat16", "bfloat16")]
)
def test_engine_gets_cpu_settings_without_cuda(monkeypatch, caplog, dtype, expected):
    from open_r1.utils import vllm_runtime

    monkeypatch.delenv(vllm_runtime.KV_CACHE_ENV, raising=False)
    monkeypatch.setattr(vllm_runtime, "has_cuda", lambda: False)
    model_args = ModelConfig(model_name_or_path="m", dtype=dtype)
    training_args = GRPOConfig(output_dir="o", seed=7, report_to=[])
    with caplog.at_level(logging.WARNING, logger="compute_pass_rate"):
        kwargs = vllm_engine_kwargs(model_args, training_args)
    assert kwargs == {
        "model": "m", "revision": "main", "trust_remote_code": False, "seed": 7,
        "dtype": expected, "kv_cache_memory_bytes": 1 << 30, "enforce_eager": True,
    }  # fmt: skip
    (record,) = caplog.records  # one line says what was adapted
    assert record.getMessage().startswith(CPU_WARNING) and (expected == "float32") == ("recipe" not in record.message)

    monkeypatch.setattr(vllm_runtime, "has_cuda", lambda: True)  # a GPU keeps vLLM's own settings
    assert "kv_cache_memory_bytes" not in vllm_engine_kwargs(model_args, training_args)


def _pass_rate_run(tiny_world, output, backend: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, SCRIPT, "--config", "recipes/dataset_filtering/config_tiny.yaml",
        "--model_name_or_path", str(tiny_world / "model"), "--dataset_name", str(tiny_world / "grpo.jsonl"),
        "--output_dataset_name", str(output), "--dataset_end_index", "8", "--max_completion_length", "16",
        "--temperature", "0", "--generation_backend", backend,
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO_ROOT, env=entry_point_env(), capture_output=True, text=True, timeout=400)


@pytest.mark.slow
def test_vllm_on_cpu_gives_the_transformers_pass_rates_with_greedy_decoding(tiny_world, tmp_path):
    runs, logs = {}, {}
    for backend in ("vllm", "transformers"):
        result = _pass_rate_run(tiny_world, tmp_path / backend, backend)
        assert result.returncode == 0, result.stderr[-5000:]
        assert f"Generating with {backend}: 8 problems x 4" in result.stderr
        assert "Kept 8 of 8 problems" in result.stdout
        runs[backend], logs[backend] = load_dataset_any(str(tmp_path / backend / "gen-0-8")), result.stderr
    assert logs["vllm"].count(CPU_WARNING) == 1 and CPU_WARNING not in logs["transformers"]

    vllm, transformers = runs["vllm"], runs["transformers"]
    assert vllm.column_names == transformers.column_names == [
        "problem", "solution", "answer", "pass_rate_generations", "pass_rate_rewards", "pass_rate",
    ]  # fmt: skip
    assert vllm["problem"] == transformers["problem"]
    for row in vllm:
        group = row["pass_rate_generations"]
        assert len(group) == 4 and len(set(group)) == 1  # greedy: one completion, scored 4 times
        assert row["pass_rate"] == pytest.approx(sum(row["pass_rate_rewards"]) / 4)
    # The differential check: the same model, weights and greedy decoding in both engines.
    assert vllm["pass_rate_generations"] == transformers["pass_rate_generations"]
    assert vllm["pass_rate_rewards"] == transformers["pass_rate_rewards"]
    assert vllm["pass_rate"] == transformers["pass_rate"]
