"""The evaluation's generation cache is keyed by the model's weights: a retrained model is evaluated again.

lighteval caches generations by the model's name and sampling settings. The README promises that a model retrained
in place (same folder, new weights) is not scored on the old weights' cached answers, while re-running an unchanged
model reuses them. These tests save real checkpoints with transformers, as training does, and read the cache folder
off the exact command `make evaluate` runs.
"""

import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM

from open_r1.utils.evaluation import lighteval_command as _lighteval_command


SERVER_URL = "http://127.0.0.1:8000/v1"  # the vllm backend's server; no request is sent to build a command


def lighteval_command(model: str, tasks: str, backend: str = "vllm", **kwargs) -> list[str]:
    server_url = SERVER_URL if backend == "vllm" else None
    return _lighteval_command(model, tasks, backend=backend, server_url=server_url, **kwargs)


def _cache_dir(command: list[str]) -> str | None:
    model_args = next(arg for arg in command if arg.startswith("model_name="))
    fields = dict(part.split("=", 1) for part in model_args.split(",") if "=" in part and "{" not in part)
    return fields.get("cache_dir")


@pytest.fixture
def model_dir(tiny_world, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_world / "model", folder)
    return folder


@pytest.mark.parametrize("backend", ["vllm", "accelerate"])
def test_a_retrained_model_gets_a_new_cache_and_an_unchanged_one_keeps_its_own(model_dir, tmp_path, backend):
    output_dir = str(tmp_path / "evals")
    first = _cache_dir(lighteval_command(str(model_dir), "math_500", backend=backend, output_dir=output_dir))
    assert first is not None and first.startswith(output_dir)
    # Evaluating the same weights again reuses the generations.
    assert _cache_dir(lighteval_command(str(model_dir), "math_500", backend=backend, output_dir=output_dir)) == first

    # One training step's worth of change, saved in place as the trainer saves.
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    model.save_pretrained(model_dir)
    retrained = _cache_dir(lighteval_command(str(model_dir), "math_500", backend=backend, output_dir=output_dir))
    assert retrained is not None and retrained != first


def test_two_model_folders_never_share_a_cache(model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    model = AutoModelForCausalLM.from_pretrained(other)
    with torch.no_grad():
        next(model.parameters()).mul_(0.5)
    model.save_pretrained(other)
    output_dir = str(tmp_path / "evals")
    caches = {_cache_dir(lighteval_command(str(path), "aime24", output_dir=output_dir)) for path in (model_dir, other)}
    assert len(caches) == 2 and None not in caches


def test_a_hub_model_is_cached_by_its_revision(tmp_path):
    # A hub id is pinned by its revision: two revisions never share generations, the same one always does.
    def cache(revision):
        return _cache_dir(
            lighteval_command("Qwen/Qwen2.5-0.5B", "aime24", revision=revision, output_dir=str(tmp_path))
        )

    assert cache("abc123") == cache("abc123") != cache("def456")
    assert cache("abc123").startswith(str(tmp_path)) and cache(None) == cache("main")
