"""Shared fixtures: the tiny world is built once per test session, and entry points run as users run them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


REPO_ROOT = Path(__file__).resolve().parent.parent
ACCELERATE = str(Path(sys.executable).with_name("accelerate"))
# Tests import lighteval's litellm client in-process: litellm's price list from its package, not GitHub.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    """The tiny model, tokenizer and datasets of `make tiny`, in a session-wide temporary folder."""
    from open_r1.utils.synthetic.tiny_world import build_tiny_world

    return Path(build_tiny_world(str(tmp_path_factory.mktemp("tiny"))))


def entry_point_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    # Tests never touch the network: make any accidental hub access fail at once instead of hanging.
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", WANDB_MODE="disabled")
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True")  # litellm's price list from its package, not GitHub
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


@pytest.fixture(scope="session")
def env_without_torch(tmp_path_factory) -> dict[str, str]:
    """entry_point_env() with a `torch` first on the path whose import fails, naming itself: a command that must
    answer before torch loads (a bad input, checked in a fraction of a second) shows it did, whatever the machine's
    load, where a wall-clock bound would only show the machine was idle."""
    folder = tmp_path_factory.mktemp("torch_import_fails")
    (folder / "torch").mkdir()
    (folder / "torch" / "__init__.py").write_text(
        'raise ImportError("torch was imported before the inputs were checked")\n'
    )
    env = entry_point_env()
    env["PYTHONPATH"] = f"{folder}{os.pathsep}{env['PYTHONPATH']}"
    return env


def launch_command(script: str, *args: str, num_processes: int = 1) -> list[str]:
    """`accelerate launch src/open_r1/<script> ...`, exactly as the README tells users to run it."""
    return [
        ACCELERATE,
        "launch",
        "--num_processes",
        str(num_processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        f"src/open_r1/{script}",
        *args,
    ]


def run_command(command: list[str], timeout: float = 300, env: dict[str, str] | None = None):
    """Runs a command from the repository root with the test environment; stdout and stderr merged."""
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env or entry_point_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def run_entry_point(script: str, *args: str, timeout: float = 300, launcher: str = "accelerate"):
    """Runs an entry point to completion and returns the CompletedProcess (stdout and stderr merged)."""
    if launcher == "accelerate":
        command = launch_command(script, *args)
    else:  # plain python: quicker, for the fail-fast checks that never reach the trainer
        command = [sys.executable, f"src/open_r1/{script}", *args]
    return run_command(command, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_server(tiny_world, tmp_path_factory):
    """`transformers serve` of the tiny model on a free 127.0.0.1 port, stopped when the module's tests end."""
    from open_r1.utils.generation import TransformersServer

    log = tmp_path_factory.mktemp("serve") / "server.log"
    with TransformersServer(str(tiny_world / "model"), log_path=str(log)) as server:
        yield server


@pytest.fixture(scope="session")
def vllm_server(tiny_world, tmp_path_factory):
    """`vllm serve` of the tiny model (vLLM's CPU build on a CPU machine) on a free 127.0.0.1 port.

    One per test session, shared by every test that only needs a server to talk to: an engine takes 40-80 s to start
    on 2 cores. Tests of a command that starts its own server (`make evaluate`, the Slurm launchers) do not use it.
    """
    from open_r1.utils.vllm_runtime import VLLMServer

    log = tmp_path_factory.mktemp("vllm") / "server.log"
    with VLLMServer(str(tiny_world / "model"), max_model_len=512, log_path=str(log), env=entry_point_env()) as server:
        yield server


def tiny_overrides(tiny_world: Path, output_dir: Path, kind: str) -> list[str]:
    """Points a tiny recipe at the session's tiny world and a per-test output folder."""
    dataset = tiny_world / ("sft.jsonl" if kind == "sft" else "grpo.jsonl")
    return [
        "--model_name_or_path",
        str(tiny_world / "model"),
        "--dataset_name",
        str(dataset),
        "--output_dir",
        str(output_dir),
    ]


@pytest.fixture(scope="session")
def slurm_cluster():
    """The two-node Slurm test cluster (slurm/test_cluster.sh), started once per session, stopped at its end.

    Jobs submitted through it see the test environment (offline hub, this project's virtual environment). Skips with
    the reason where the cluster cannot run (not Linux, not root, no Slurm and no apt); anywhere else a cluster that
    does not start is an error, not a skip.
    """
    from slurm_cluster import running_cluster, why_no_cluster

    reason = why_no_cluster()
    if reason:
        pytest.skip(reason)
    with running_cluster() as cluster:
        cluster.env.update(entry_point_env(), SLURM_CONF=str(cluster.conf), OPEN_R1_VENV=sys.prefix)
        yield cluster
