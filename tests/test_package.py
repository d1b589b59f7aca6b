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


# --- shipped benchmark data -----------------------------------------------------------------------------------


def test_shipped_benchmark_files_are_the_published_ones():
    from open_r1 import benchmark_data

    assert benchmark_data.verify() == dict.fromkeys(benchmark_data.FILES, True)
    for name, (rows, _) in benchmark_data.FILES.items():
        assert len(benchmark_data.rows(name)) == rows
        assert name in (benchmark_data.DATA_DIR / "README.md").read_text()  # source and licence stated
    with pytest.raises(FileNotFoundError, match="Shipped: math500.jsonl"):
        benchmark_data.path("gpqa_diamond.csv")


@pytest.mark.slow
def test_an_installed_package_finds_its_benchmark_data(tmp_path):
    """A non-editable install (wheel), imported away from the source tree, carries the files and their README."""
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheel_dir), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = wheel_dir.glob("open_r1-*.whl")
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    code = (
        "from open_r1 import benchmark_data as b\n"
        "print(b.DATA_DIR)\n"
        "print(all(b.verify().values()), (b.DATA_DIR / 'README.md').is_file())\n"
    )
    env = {key: value for key, value in entry_point_env().items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)  # the installed copy only, not src/
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    folder, checks = result.stdout.strip().splitlines()[-2:]
    assert folder.startswith(str(site)) and checks == "True True"


def test_nothing_reads_the_ci_only_data_folder():
    """Users have no folder beside their clone: tests, scripts and make targets use the shipped copies."""
    ci_only = "shared"  # the folder CI, and only CI, has beside the clone
    needles = (f"../{ci_only}", f'"{ci_only}" / "data"')
    folders = ("scripts", "slurm", "tests", "src", "recipes")
    files = [REPO_ROOT / "Makefile"] + [f for folder in folders for f in (REPO_ROOT / folder).rglob("*")]
    text_files = [f for f in files if f.name == "Makefile" or f.suffix in (".py", ".sh", ".slurm", ".yaml", ".md")]
    offenders = [str(f.relative_to(REPO_ROOT)) for f in text_files if any(n in f.read_text() for n in needles)]
    assert not offenders
