"""`import open_r1` and every entry point work on a CPU machine without the GPU-only packages."""

import importlib
import pkgutil
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, entry_point_env

import open_r1


GPU_ONLY_PACKAGES = ("vllm", "flash_attn", "liger_kernel")


def all_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(open_r1.__path__, prefix="open_r1.")]


@pytest.mark.parametrize("module", all_modules())
def test_every_module_imports_without_gpu_packages(module):
    importlib.import_module(module)


def test_importing_the_package_pulls_no_gpu_package():
    code = (
        "import sys, pkgutil, importlib, open_r1\n"
        "for info in pkgutil.walk_packages(open_r1.__path__, prefix='open_r1.'):\n"
        "    importlib.import_module(info.name)\n"
        f"print(sorted(name for name in {GPU_ONLY_PACKAGES!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=entry_point_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("script", ["sft.py", "grpo.py"])
def test_entry_point_help_lists_open_r1_options(script):
    result = subprocess.run(
        [sys.executable, f"src/open_r1/{script}", "--help"],
        cwd=REPO_ROOT,
        env=entry_point_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for option in ("--dataset_mixture", "--system_prompt", "--hub_model_revision", "--wandb_project"):
        assert option in result.stdout
    if script == "grpo.py":
        assert "--reward_funcs" in result.stdout and "--max_prompt_tokens" in result.stdout
