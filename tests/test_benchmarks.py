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
"""The GRPO and SFT benchmarks (scripts/benchmark_*.py) run on the tiny model on a CPU and report sane figures."""

import json
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, entry_point_env

from open_r1.utils.benchmarking import (
    MODEL_SHAPES,
    StepTimer,
    build_model_dir,
    markdown_table,
    matmul_params,
    training_flops,
)


def run_script(script: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, f"scripts/{script}", *args],
        cwd=REPO_ROOT,
        env=entry_point_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    return result


@pytest.fixture
def work_dir(tiny_world, tmp_path):
    """A benchmark work dir holding the session's tiny world, so the scripts do not build it again."""
    shutil.copytree(tiny_world, tmp_path / "world")
    return tmp_path


# --------------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------------


def test_random_model_from_any_config(tiny_world, tmp_path):
    """A config.json of another architecture becomes a loadable random model with the tiny tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = tmp_path / "llama.json"
    config.write_text(
        json.dumps(
            dict(
                model_type="llama",
                hidden_size=64,
                intermediate_size=128,
                num_hidden_layers=2,
                num_attention_heads=4,
                num_key_value_heads=2,
                vocab_size=100,  # smaller than the tokenizer: grown to fit it
            )
        )
    )
    model_dir = build_model_dir(str(tiny_world), str(config))
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    assert model.config.model_type == "llama"
    assert model.config.vocab_size == len(tokenizer)
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    assert build_model_dir(str(tiny_world), str(config)) == model_dir  # built once


def test_named_shapes_are_the_real_models():
    assert MODEL_SHAPES["qwen2.5-0.5b"]["hidden_size"] == 896
    assert MODEL_SHAPES["qwen2.5-1.5b"]["num_hidden_layers"] == 28
    assert MODEL_SHAPES["qwen2.5-1.5b"]["vocab_size"] == 151936


def test_training_flops_follow_6n():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4
    )
    config.tie_word_embeddings = True
    tied = Qwen2ForCausalLM(config)
    total = sum(p.numel() for p in tied.parameters())
    assert matmul_params(tied) == total  # the tied embedding is used once, as the LM head
    config.tie_word_embeddings = False
    untied = Qwen2ForCausalLM(config)
    assert matmul_params(untied) == sum(p.numel() for p in untied.parameters()) - 1000 * 64
    assert training_flops(tied, tokens=10, seq_len=0) == 6 * total * 10
    assert training_flops(tied, tokens=10, seq_len=100) == 10 * (6 * total + 12 * 2 * 64 * 100)


def test_step_timer_adds_timed_parts_to_the_current_step():
    timer = StepTimer()
    slow = timer.timed("work", lambda: sum(range(10000)))
    slow()  # outside a step: not recorded, no error
    timer.on_step_begin(None, None, None)
    assert slow() == sum(range(10000))
    slow()
    timer.on_step_end(None, None, None)
    (step,) = timer.steps
    assert 0 < step.parts["work"] <= step.step_s


def test_markdown_table_prints_missing_values_as_dashes():
    table = markdown_table([{"a": 1.23456, "b": None}, {"a": 12345.6}], [("a", "A"), ("b", "B")])
    assert table.splitlines() == ["| A | B |", "| --- | --- |", "| 1.23 | - |", "| 12,346 | - |"]


# --------------------------------------------------------------------------------------------------------------------
# The scripts, end to end (each about a minute on 2 CPU cores)
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_grpo_benchmark_reports_every_stage(work_dir):
    """Every variant this machine can run, vllm included (vLLM's CPU build, colocated: one engine start)."""
    output = work_dir / "grpo.json"
    result = run_script(
        "benchmark_grpo.py",
        *("--steps", "2", "--warmup-steps", "1", "--completions-per-step", "8", "--num-generations", "4"),
        *("--completion-length", "16", "--reward-repeats", "1", "--compare-bare"),
        *("--work-dir", str(work_dir), "--output", str(output)),
        timeout=480,
    )
    assert "| variant | path | step s |" in result.stdout
    payload = json.loads(output.read_text())
    assert payload["environment"]["date"] and payload["memory_method"].startswith("process RSS")

    rows = {(row["variant"], row["path"]): row for row in payload["results"]}
    assert set(rows) == {
        ("generate", "open_r1"),
        ("generate", "bare"),
        ("continuous_batching", "open_r1"),
        ("vllm", "open_r1"),
        ("gradient_checkpointing", "open_r1"),
    }
    for row in rows.values():
        assert row["timed_steps"] == 2
        assert row["step_s"] > 0 and row["generate_s"] > 0 and row["update_s"] > 0 and row["reward_s"] > 0
        assert row["generate_s"] + row["reward_s"] + row["score_s"] + row["update_s"] == pytest.approx(
            row["step_s"], rel=1e-6
        )
        assert row["generate_tokens_per_s"] > 0 and row["update_tokens_per_s"] > 0
        assert 0 < row["reward_share"] < 1
        assert 100 < row["peak_memory_mb"] < 16_000
        assert row.get("update_mfu") is None  # no GPU: no MFU
    # HF generate (min_new_tokens) and vLLM (min_tokens) honour the fixed completion length: 8 x 16 tokens per step.
    for key in (("generate", "open_r1"), ("generate", "bare"), ("vllm", "open_r1")):
        assert rows[key]["completions"] == 8 and rows[key]["mean_completion_length"] == 16, key
    # vLLM really generated: every completion of every timed step came from its engine, not from a fallback to
    # generate; its weights were synced each step; the engine's start is reported, apart from the steps.
    (vllm_run,) = [run for run in payload["runs"] if run["variant"] == "vllm"]
    assert [step["vllm_completions"] for step in vllm_run["steps"]] == [8, 8]
    vllm = rows[("vllm", "open_r1")]
    assert 0 < vllm["sync_s"] < vllm["generate_s"]
    assert 0 < vllm["engine_start_s"] < vllm_run["wall_s"]
    assert "- vllm: vLLM engine start" in result.stdout
    # Adapted to the CPU as open_r1.grpo adapts it, with one warning line.
    warnings = [line for line in result.stdout.splitlines() if "adapted for the CPU" in line]
    assert len(warnings) == 1 and "vLLM on the CPU: float32, eager mode, a 1 GiB KV cache" in warnings[0], warnings
    assert set(payload["skipped"]) == {"liger"} and "CUDA" in payload["skipped"]["liger"]
    # The ratio of open_r1's step time to bare trl's, from the rows above. Not a bound on its value: two timed steps
    # on a shared CPU can differ many-fold (0.03 was seen while another job ran); docs/benchmarks.md has measured ones.
    ours, bare = rows[("generate", "open_r1")]["step_s"], rows[("generate", "bare")]["step_s"]
    assert payload["overhead_ratio"] == pytest.approx(ours / bare, rel=1e-9) and payload["overhead_ratio_wall"] > 0
    # The project's rewards on well-formed completions: half right, half wrong.
    assert payload["reward_on_wellformed"]["accuracy_mean"] == 0.5
    assert 0 < payload["reward_on_wellformed"]["share_of_step"] < 1


@pytest.mark.slow
def test_sft_benchmark_measures_padding(work_dir):
    output = work_dir / "sft.json"
    result = run_script(
        "benchmark_sft.py",
        *("--steps", "2", "--warmup-steps", "1", "--batch-size", "4", "--max-length", "256", "--max-turns", "3"),
        *("--variants", "padded,padding_free,packing,liger"),
        *("--work-dir", str(work_dir), "--output", str(output)),
    )
    assert "| variant | step s | tokens/s |" in result.stdout
    payload = json.loads(output.read_text())
    rows = {row["variant"]: row for row in payload["results"]}
    assert set(rows) == {"padded", "padding_free", "packing"}
    for row in rows.values():
        assert row["timed_steps"] == 2 and row["tokens_per_s"] > 0 and row["step_s"] > 0
        assert 100 < row["peak_memory_mb"] < 16_000
    # Conversations of 1..3 exchanges padded to the longest of the batch waste slots; padding-free wastes none.
    assert rows["padded"]["padding_share"] > 0.05
    assert rows["padding_free"]["padding_share"] == 0
    # Same rows, same order: padded and padding-free train on exactly the same tokens.
    runs = {run["variant"]: run for run in payload["runs"]}
    assert [step["tokens"] for step in runs["padded"]["steps"]] == [
        step["tokens"] for step in runs["padding_free"]["steps"]
    ]
    assert rows["packing"]["mean_sequence_length"] < 256
    assert rows["padded"]["speedup"] == 1
    assert "CUDA" in payload["skipped"]["liger"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="MFU is only measured on a GPU")
def test_mfu_is_reported_on_gpu(work_dir):  # pragma: no cover - CPU CI
    output = work_dir / "sft.json"
    run_script(
        "benchmark_sft.py",
        *("--steps", "2", "--warmup-steps", "1", "--variants", "padded"),
        *("--work-dir", str(work_dir), "--output", str(output)),
    )
    (row,) = json.loads(output.read_text())["results"]
    assert 0 < row["mfu"] < 1
