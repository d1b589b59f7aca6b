"""The launchers under a real two-node Slurm cluster (slurm/test_cluster.sh), not just their dry runs.

Each test submits what a user submits, with sbatch, and waits for the job with a time bound. The cluster starts once
per session (the `slurm_cluster` fixture of conftest.py) and is skipped, with the reason, where it cannot run.
"""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from slurm_cluster import FINISHED, STARTED_BY_TESTS, STATUS_STALE, cluster_script, start_cluster


pytestmark = pytest.mark.slurm


def test_two_nodes_are_two_machines_with_fake_gpus(slurm_cluster, tmp_path):
    """Each node has its own hostname and address (a torch rendezvous needs that), and 8 GPUs as Slurm sees them."""
    out = tmp_path / "job.out"
    job = slurm_cluster.sbatch(
        "--nodes=2",
        "--gres=gpu:8",
        "--exclusive",
        f"--output={out}",
        "--wrap",
        "srun bash -c 'echo \"$SLURM_PROCID $(hostname) $(hostname -I) $CUDA_VISIBLE_DEVICES\"'",
    )
    state = slurm_cluster.wait(job, timeout=60)
    assert state["JobState"] == "COMPLETED", slurm_cluster.logs(job)
    lines = sorted(line.split() for line in out.read_text().splitlines())
    assert [line[:2] for line in lines] == [["0", "or1-node1"], ["1", "or1-node2"]], lines
    assert lines[0][2] != lines[1][2], "each node has its own address"
    assert all(line[3] == "0,1,2,3,4,5,6,7" for line in lines)


# --- train.slurm ---------------------------------------------------------------------------------------------------

HOOKS = REPO_ROOT / "tests" / "slurm_hooks"  # sitecustomize.py: every rank writes rank<N>.json after training


def submit_training(
    cluster,
    tiny_world,
    tmp_path,
    task: str,
    *train_args: str,
    log_dir: Path | None = None,
    accelerator: str = "ddp",
    config: str = "demo",
) -> str:
    """`GPUS_PER_NODE=1 sbatch --nodes=2 slurm/train.slurm --model tiny --task TASK --config demo --accelerator ddp`,
    on the session's tiny world, one training process per node (CPU), every rank fingerprinting its weights."""
    data = tiny_world / ("sft.jsonl" if task == "sft" else "grpo.jsonl")
    args = [
        f"--model_name_or_path={tiny_world / 'model'}",
        f"--dataset_name={data}",
        f"--output_dir={tmp_path / 'out'}",
        *train_args,
    ]
    (tmp_path / "ranks").mkdir()
    logs = log_dir or tmp_path
    return cluster.sbatch(
        "--nodes=2",
        f"--output={logs}/%x-%j.out",
        f"--error={logs}/%x-%j.err",
        "slurm/train.slurm",
        *(
            "--model",
            "tiny",
            "--task",
            task,
            "--config",
            config,
            "--accelerator",
            accelerator,
            "--args",
            " ".join(args),
        ),
        env={
            "GPUS_PER_NODE": "1",
            "MASTER_PORT": "29512",
            "OPEN_R1_TEST_RANKS_DIR": str(tmp_path / "ranks"),
            "PYTHONPATH": f"{HOOKS}{os.pathsep}{cluster.env.get('PYTHONPATH', '')}",
        },
    )


def check_ranks(tmp_path: Path, steps: int) -> None:
    """Both nodes trained as one world of 2, and ended with the same weights, equal to the model saved."""
    markers = [json.loads((tmp_path / "ranks" / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [m["process_index"] for m in markers] == [0, 1]
    assert {m["num_processes"] for m in markers} == {2}
    assert sorted(m["hostname"] for m in markers) == ["or1-node1", "or1-node2"], "one rank per node"
    assert {m["global_step"] for m in markers} == {steps}
    assert markers[0]["sha256"] == markers[1]["sha256"], "DDP kept both nodes' replicas identical"
    assert all(m["equals_saved_model"] for m in markers)


@pytest.mark.slow
def test_grpo_trains_across_two_nodes(slurm_cluster, tiny_world, tmp_path):
    job = submit_training(slurm_cluster, tiny_world, tmp_path, "grpo", "--max_steps=2", "--save_strategy=no")
    state = slurm_cluster.wait(job, timeout=300)
    assert state["JobState"] == "COMPLETED", slurm_cluster.logs(job)
    check_ranks(tmp_path, steps=2)
    log = slurm_cluster.logs(job)
    assert "Training on or1-node1 or1-node2: 2 processes" in log


@pytest.mark.slow
def test_grpo_in_server_mode_serves_on_the_last_node_and_the_trainer_reaches_it(slurm_cluster, tiny_world, tmp_path):
    """A GRPO recipe with `vllm_mode: server` over 2 nodes: `trl vllm-serve` starts on the last node (vLLM's CPU build
    here), the trainer on the first reaches it and, on a CPU, stops at trl's weight sync, which needs CUDA (NCCL)."""
    job = submit_training(slurm_cluster, tiny_world, tmp_path, "grpo", "--max_steps=2", config="vllm_server")
    state = slurm_cluster.wait(job, timeout=600)
    log = slurm_cluster.logs(job)
    assert state["JobState"] == "FAILED", log  # the weight sync, not a launcher error: see the asserts below
    assert "Training on or1-node1: 1 processes" in log, log
    assert "No GPU found, adapted for the CPU" in log, log  # the server, started by the job on or1-node2
    assert "which needs a CUDA device" in log, log  # trl's message, after its client reached the server
    slurm_cluster.wait_nodes_idle()
    left = subprocess.run(["pgrep", "-f", "open_r1.utils.vllm_runtime trl-serve"], capture_output=True, text=True)
    assert left.stdout == "", "the job's server outlived it"


@pytest.mark.slow
@pytest.mark.parametrize(
    "accelerator, adapted, distributed_type",
    [
        ("zero3", "DeepSpeed ZeRO-3 on its cpu accelerator", "DistributedType.DEEPSPEED"),
        ("fsdp", "FSDP2 over gloo", "DistributedType.FSDP"),
    ],
)
def test_sft_sharded_across_two_nodes(slurm_cluster, tiny_world, tmp_path, accelerator, adapted, distributed_type):
    """`sbatch --nodes=2 slurm/train.slurm ... --accelerator zero3|fsdp` on the CPU nodes: one sharded world over
    both nodes (the config adapted for the CPU as on a laptop), each rank owning half of the parameters, and the
    gathered model saved once, loadable without DeepSpeed or FSDP."""
    from transformers import AutoModelForCausalLM

    job = submit_training(
        slurm_cluster, tiny_world, tmp_path, "sft", "--max_steps=2", "--save_strategy=no", accelerator=accelerator
    )
    state = slurm_cluster.wait(job, timeout=400)
    log = slurm_cluster.logs(job)
    assert state["JobState"] == "COMPLETED", log
    assert "Training on or1-node1 or1-node2: 2 processes" in log
    assert adapted in log
    markers = [json.loads((tmp_path / "ranks" / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert sorted(m["hostname"] for m in markers) == ["or1-node1", "or1-node2"], "one rank per node"
    assert all(m["num_processes"] == 2 and m["global_step"] == 2 for m in markers)
    assert {m["distributed_type"] for m in markers} == {distributed_type}
    for marker in markers:  # each node owns half of the model (up to the padding of the partitions)
        assert marker["parameter_elements_owned"] / marker["model_elements"] == pytest.approx(0.5, abs=0.01)
    AutoModelForCausalLM.from_pretrained(tmp_path / "out")  # the full model, gathered from both nodes


@pytest.mark.slow
def test_sft_across_two_nodes_survives_a_requeue(slurm_cluster, tiny_world, tmp_path):
    """A 2-node SFT job, checkpointing every step, is requeued mid-run (as a preemption does): the second run resumes
    from the newest checkpoint and finishes, every step logged exactly once, both nodes ending on the same weights."""
    max_steps = 6
    job = submit_training(
        slurm_cluster,
        tiny_world,
        tmp_path,
        "sft",
        f"--max_steps={max_steps}",
        "--save_steps=1",
        "--save_total_limit=2",
        "--logging_steps=1",
    )
    output_dir = tmp_path / "out"
    deadline = time.monotonic() + 300
    while not (output_dir / "checkpoint-1" / "trainer_state.json").is_file():  # requeued after its first checkpoint
        assert slurm_cluster.job(job)["JobState"] in ("PENDING", "RUNNING"), slurm_cluster.logs(job)
        assert time.monotonic() < deadline, slurm_cluster.logs(job)
        time.sleep(0.2)
    slurm_cluster.command("scontrol", "requeue", job)
    # The first run is killed; Slurm then holds the requeued job (Reason=BeginTime, about two minutes) before it may
    # start again: released at once here, as nothing else waits for these nodes.
    slurm_cluster.wait(job, timeout=60, until={"PENDING"})
    slurm_cluster.wait_nodes_idle()
    # The kill may have cut a save short (no trainer_state.json yet): the run must resume from the newest complete one.
    newest = max(int(path.parent.name.split("-")[1]) for path in output_dir.glob("checkpoint-*/trainer_state.json"))
    slurm_cluster.command("scontrol", "update", f"JobId={job}", "StartTime=now")
    state = slurm_cluster.wait(job, timeout=400)
    log = slurm_cluster.logs(job)
    assert state["JobState"] == "COMPLETED" and state["Restarts"] == "1", log

    # Both runs wrote to the same log (--open-mode=append); the second resumed from the newest checkpoint.
    assert Path(state["StdOut"]).read_text().count("START TIME") == 2, log
    resumed = re.findall(r"resuming training at \S+/checkpoint-(\d+)", log)  # once per node
    assert len(resumed) == 2 and set(resumed) == {str(newest)}, log
    state_file = json.loads((output_dir / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state_file["log_history"] if "loss" in entry]
    assert steps == list(range(1, max_steps + 1)), "every step done once, none lost, none repeated"
    check_ranks(tmp_path, steps=max_steps)


def test_a_bad_recipe_fails_fast_with_the_reason_in_the_job_log(slurm_cluster, tiny_world, tmp_path):
    """The job's default log folder (./logs, committed) exists, and the failure is there within seconds."""
    start = time.monotonic()
    job = slurm_cluster.sbatch(
        "--nodes=2",
        "slurm/train.slurm",
        *("--model", "tiny", "--task", "grpo", "--config", "demo", "--accelerator", "ddp"),
        *("--args", f"--model_name_or_path={tiny_world / 'model'} --reward_funcs=no_such_reward --reward_weights=1"),
        env={"GPUS_PER_NODE": "1"},
    )
    try:
        state = slurm_cluster.wait(job, timeout=120)
        elapsed = time.monotonic() - start
        log = slurm_cluster.logs(job)
        assert Path(state["StdErr"]).resolve() == REPO_ROOT / "logs" / f"open-r1-{job}.err"
        assert state["JobState"] == "FAILED" and state["ExitCode"] != "0:0", log
        assert "Unknown reward" in log and "no_such_reward" in log, log
        assert elapsed < 120
    finally:
        for suffix in ("out", "err"):
            (REPO_ROOT / "logs" / f"open-r1-{job}.{suffix}").unlink(missing_ok=True)


# --- evaluate.slurm ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_job_scores_the_tiny_model_on_the_shipped_benchmark(slurm_cluster, tiny_world, tmp_path):
    """evaluate.slurm as training submits it (TASK_NAME TASKS MODEL REVISION), on its default backend: the job
    serves the model with vLLM (its CPU build here), evaluates through it and stops it."""
    from open_r1 import benchmark_data

    output_dir = tmp_path / "evals"
    job = slurm_cluster.sbatch(
        f"--output={tmp_path}/%x-%j.out",
        f"--error={tmp_path}/%x-%j.err",
        "slurm/evaluate.slurm",
        *("math_500", "open_r1:math_500|0", str(tiny_world / "model"), "main"),
        env={
            "MAX_SAMPLES": "4",
            "MAX_MODEL_LENGTH": "2048",  # the tiny model's 512 would cut the MATH prompts
            "OUTPUT_DIR": str(output_dir),
            "OPEN_R1_EVAL_DATA_DIR": str(benchmark_data.DATA_DIR),
            "OPEN_R1_EVAL_NUM_SAMPLES": "1",
            "OPEN_R1_EVAL_MAX_NEW_TOKENS": "16",
        },
    )
    state = slurm_cluster.wait(job, timeout=600)
    log = slurm_cluster.logs(job)
    assert state["JobState"] == "COMPLETED", log
    assert "open_r1.utils.vllm_runtime serve" in log and (output_dir / "vllm_server.log").is_file(), log
    (results_file,) = output_dir.glob("results_*.json")
    run = json.loads(results_file.read_text())
    assert run["config_general"]["max_samples"] == 4
    assert 0.0 <= run["results"]["open_r1:math_500|0"]["pass@k:k=1&n=1"] <= 1.0


# --- generate.slurm ------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("server", ["vllm", "transformers"])
def test_generate_forms_a_ray_cluster_over_both_nodes_and_generates(slurm_cluster, tiny_world, tmp_path, server):
    """generate.slurm with its default server (vLLM; its CPU build, one replica on the head node, on these CPU nodes)
    and with `--server transformers`: Ray head and worker on the two nodes, the server on the head, the distilabel
    pipeline against it, and the job ends (servers and Ray stopped)."""
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"problem": f"What is {i} + 1?"}) + "\n" for i in range(4)))
    output = tmp_path / "generated"
    server_args = ("--server", "transformers") if server == "transformers" else ()  # vllm: no option, the default
    job = slurm_cluster.sbatch(
        "--nodes=2",
        f"--output={tmp_path}/%x-%j.out",
        f"--error={tmp_path}/%x-%j.err",
        "slurm/generate.slurm",
        *(*server_args, "--model", str(tiny_world / "model"), "--hf-dataset", str(problems)),
        *("--prompt-column", "problem", "--max-new-tokens", "4", "--num-generations", "2"),
        *("--input-batch-size", "2", "--client-replicas", "2", "--timeout", "120", "--output-dir", str(output)),
    )
    state = slurm_cluster.wait(job, timeout=600)
    log = slurm_cluster.logs(job)
    assert state["JobState"] == "COMPLETED", log
    assert "Ray cluster: 2 nodes (10.93.213.11, 10.93.213.12)" in log, log
    if server == "vllm":
        # The vLLM branch started its server; the rows below were generated through the only server the job ran.
        # (vLLM's own log lines reach the job's files or not, depending on when the job's end stops the server.)
        assert "No GPU on or1-node1: vLLM's CPU build, one replica" in log, log

    from open_r1.utils.data import load_dataset_any

    generated = load_dataset_any(str(output), "default", "train")
    assert sorted(generated["problem"]) == sorted(f"What is {i} + 1?" for i in range(4))
    assert all(len(row["generation"]) == 2 for row in generated)


# --- e2b_router.slurm, morph_router.slurm ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, port, answer", [("e2b_router.slurm", 8000, "e2b"), ("morph_router.slurm", 8001, "morph")]
)
def test_router_answers_a_training_node(slurm_cluster, tmp_path, script, port, answer):
    """The router job (local provider: no key) serves on its node; a job on the other node runs a program through it."""
    router = slurm_cluster.sbatch(
        f"--output={tmp_path}/router-%j.out", f"--error={tmp_path}/router-%j.err", f"slurm/{script}", "4",
        env={"PROVIDER": "local"},
    )  # fmt: skip
    try:
        state = slurm_cluster.wait(router, timeout=60, until={"RUNNING", *FINISHED})
        assert state["JobState"] == "RUNNING", slurm_cluster.logs(router)
        router_node = state["NodeList"]
        (training_node,) = [node for node in slurm_cluster.nodes if node != router_node]
        request = json.dumps({"scripts": ["print(6 * 7)"], "languages": ["python"], "timeout": 20})
        client = tmp_path / "client.out"
        job = slurm_cluster.sbatch(
            f"--nodelist={training_node}",
            f"--output={client}",
            f"--error={tmp_path}/client.err",  # curl's retry messages
            "--wrap",
            # The router needs a few seconds to start listening: retry until it answers.
            f"curl -sS --retry 60 --retry-delay 1 --retry-all-errors --max-time 30 "
            f"-H 'Content-Type: application/json' -d '{request}' http://{router_node}:{port}/execute_batch",
        )
        state = slurm_cluster.wait(job, timeout=120)
        assert state["JobState"] == "COMPLETED", client.read_text() + slurm_cluster.logs(router)
        (result,) = json.loads(client.read_text())
        assert result["exception_str"] is None, result
        text = result["execution"]["results"][0]["text"] if answer == "e2b" else result["text"]
        assert float(text) == 42, result  # the local sandbox ran the program
    finally:
        slurm_cluster.command("scancel", router, check=False)


# --- the test cluster itself ---------------------------------------------------------------------------------------


def cluster_processes(cluster) -> set[int]:
    """Every process of the cluster: its daemons (started with -f CONF) and whatever runs in the node namespaces."""
    found = subprocess.run(["pgrep", "-f", "--", f"-f {cluster.conf}"], capture_output=True, text=True).stdout.split()
    for node in cluster.nodes:
        found += subprocess.run(["ip", "netns", "pids", node], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


def assert_runs_a_job_on_both_nodes(cluster, out: Path) -> None:
    job = cluster.sbatch("--nodes=2", f"--output={out}", "--wrap", "srun hostname")
    state = cluster.wait(job, timeout=60)
    assert state["JobState"] == "COMPLETED", cluster.logs(job)
    assert sorted(out.read_text().split()) == list(cluster.nodes)


def test_a_cluster_a_killed_session_left_is_cleared_not_waited_for(slurm_cluster, tmp_path):
    """A test session killed mid-run (a CI time limit, a stopped container) leaves its cluster behind: still running,
    or with its processes killed too and only namespaces, bridge and state left. The next session clears either at
    once and starts its own, instead of waiting 15 minutes for an owner that is gone (CI failed so on 2026-11-29).
    Only a cluster started by hand is waited for. This session holds the lock, so to it the cluster it started is
    exactly what a killed session leaves."""
    env, state_dir = slurm_cluster.env, slurm_cluster.state_dir

    # Running, its session gone: cleared and started again, without waiting (wait_for_others=0 would raise).
    before = cluster_processes(slurm_cluster)
    assert before, "the session's cluster runs"
    start_cluster(env, state_dir, wait_for_others=0)
    assert cluster_processes(slurm_cluster).isdisjoint(before), "the old cluster was stopped, a new one started"
    assert_runs_a_job_on_both_nodes(slurm_cluster, tmp_path / "restarted.out")

    # Killed with its session: nothing of it runs, the rest is left. `status` says so; `up` clears it.
    for pid in cluster_processes(slurm_cluster):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while cluster_processes(slurm_cluster):
        assert time.monotonic() < deadline, "SIGKILLed processes still listed after 30 s"
        time.sleep(0.2)
    status = cluster_script("status", env, timeout=60)
    assert status.returncode == STATUS_STALE, status.stdout + status.stderr
    assert "stale" in status.stdout and "up' clears it" in status.stdout
    start_cluster(env, state_dir, wait_for_others=0)
    assert_runs_a_job_on_both_nodes(slurm_cluster, tmp_path / "after-kill.out")

    # Started by hand (no test session's mark): waited for, and named in the error when the wait runs out.
    (state_dir / STARTED_BY_TESTS).unlink()
    try:
        with pytest.raises(
            RuntimeError, match=r"started by hand has been up for 0 min: stop it with `make slurm-down`"
        ):
            start_cluster(env, state_dir, wait_for_others=0)
    finally:
        (state_dir / STARTED_BY_TESTS).write_text(f"{os.getpid()}\n")
    assert_runs_a_job_on_both_nodes(slurm_cluster, tmp_path / "untouched.out")
