"""The Slurm launchers: valid bash, clean under shellcheck, and the right commands in dry-run mode.

There is no cluster here, so each script runs with DRY_RUN=1 and the variables Slurm would set; it then prints each
command it would run as `+ <shell-quoted words>` (slurm/lib.sh), which these tests split with shlex and check.
"""

import base64
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


REPO_ROOT = Path(__file__).resolve().parent.parent
SLURM = REPO_ROOT / "slurm"
SCRIPTS = sorted([*SLURM.glob("*.slurm"), *SLURM.glob("piston/*.sh"), SLURM / "lib.sh"])
TEST_CLUSTER = SLURM / "test_cluster.sh"  # not a launcher (no dry run): the two-node cluster the slurm tests use
EXPECTED = {
    "train.slurm",
    "evaluate.slurm",
    "generate.slurm",
    "serve_r1.slurm",
    "serve_router.slurm",
    "e2b_router.slurm",
    "morph_router.slurm",
    "compute_pass_rate.slurm",
    "launch_piston_workers.sh",
    "launch_single_piston.sh",
    "lib.sh",
}


def _ids(paths):
    return [p.relative_to(REPO_ROOT).as_posix() for p in paths]


def dry_run(script: str, *args: str, nodes: list[str] | None = None, dry: bool = True, **env: str):
    """Runs slurm/<script> as a dry run; returns (returncode, output, commands as (argv, in_background))."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    run_env.update(PYTHON=sys.executable, **env)
    if dry:
        run_env["DRY_RUN"] = "1"
    if nodes is not None:
        run_env.update(SLURM_NNODES=str(len(nodes)), SLURM_JOB_NODELIST=",".join(nodes))
    result = subprocess.run(
        ["bash", f"slurm/{script}", *args],
        cwd=REPO_ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    commands = []
    for line in result.stdout.splitlines():
        if line.startswith("+ "):
            background = line.endswith(" &")
            commands.append((shlex.split(line[2:].removesuffix(" &")), background))
    return result.returncode, result.stdout + result.stderr, commands


def option(argv: list[str], name: str) -> str:
    """The value of `name` in argv, written `name value` or `name=value`."""
    for index, word in enumerate(argv):
        if word == name:
            return argv[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} not in {argv}")


def test_every_launcher_is_present():
    assert {p.name for p in SCRIPTS} >= EXPECTED
    assert (SLURM / "README.md").is_file() and (SLURM / "piston" / "README.md").is_file()


@pytest.mark.parametrize("path", [*SCRIPTS, TEST_CLUSTER], ids=_ids([*SCRIPTS, TEST_CLUSTER]))
def test_bash_syntax(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install -y shellcheck); bash -n still ran")
    result = subprocess.run(
        ["shellcheck", "-x", *[p.relative_to(REPO_ROOT).as_posix() for p in [*SCRIPTS, TEST_CLUSTER]]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "path", [p for p in SCRIPTS if p.name != "lib.sh"], ids=_ids([p for p in SCRIPTS if p.name != "lib.sh"])
)
def test_every_launcher_documents_its_dry_run(path):
    text = path.read_text()
    assert "DRY_RUN=1" in text and 'source "${OPEN_R1_ROOT:-.}/slurm/lib.sh"' in text


# --- train.slurm -------------------------------------------------------------------------------------------------


def _accelerate_launch(srun_argv: list[str]) -> list[str]:
    """The `accelerate launch ...` words inside train.slurm's `srun ... bash -c "<launcher> <cmd>"`."""
    assert srun_argv[0] == "srun" and srun_argv[-3:-1] == ["bash", "-c"]
    words = shlex.split(srun_argv[-1])
    start = words.index("accelerate")
    assert words[start + 1] == "launch"
    return words[:start], words[start:]


def test_train_sft_single_node():
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "OpenR1-Distill-7B", "--task", "sft", "--config", "distill", "--accelerator", "zero3"),
        nodes=["gpu-1"],
    )
    assert code == 0, output
    assert len(commands) == 2, "SFT starts no vLLM server: the recipe check, then training"
    (check, _), (srun, background) = commands
    assert not background
    assert check[1:3] == ["-m", "open_r1.check_recipe"] and option(check, "--num_processes") == "8"
    assert option(srun, "--nodes") == "1" and option(srun, "--nodelist") == "gpu-1"
    assert "--kill-on-bad-exit=1" in srun
    env, launch = _accelerate_launch(srun)
    assert option(launch, "--config_file") == "recipes/accelerate_configs/zero3.yaml"
    assert option(launch, "--num_processes") == "8" and option(launch, "--num_machines") == "1"
    assert option(launch, "--gradient_accumulation_steps") == "8"  # read from the recipe
    assert option(launch, "--main_process_ip") == "gpu-1"
    # Each node's task expands its own rank; a value fixed by the batch script would give every node rank 0.
    assert option(launch, "--machine_rank") == "$SLURM_PROCID"
    script = launch.index("src/open_r1/sft.py")
    assert launch[script + 1 :] == ["--config", "recipes/OpenR1-Distill-7B/sft/config_distill.yaml"]
    assert not any(word.startswith("CUDA_VISIBLE_DEVICES") for word in env)


def test_train_grpo_multi_node_puts_vllm_on_the_last_node():
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "Qwen2.5-Coder-7B-Instruct", "--task", "grpo", "--config", "codeforces"),
        *("--accelerator", "zero3", "--dp", "8", "--tp", "1", "--args", "--max_steps=10"),
        nodes=["gpu-1", "gpu-2"],
    )
    assert code == 0, output
    (serve, serve_in_background), (check, _), (train, train_in_background) = commands
    assert serve_in_background and not train_in_background
    # The recipe is checked with the options and the process count the training launch gets.
    assert option(check, "--num_processes") == "8" and option(check, "--max_steps") == "10"
    assert option(serve, "--nodelist") == "gpu-2"
    vllm = serve[serve.index("open_r1.utils.vllm_runtime") :]
    assert vllm[:2] == ["open_r1.utils.vllm_runtime", "trl-serve"]  # `trl vllm-serve`, on either vLLM build
    assert option(vllm, "--model") == "Qwen/Qwen2.5-7B-Instruct" and option(vllm, "--revision") == "main"
    assert option(vllm, "--data_parallel_size") == "8" and option(vllm, "--tensor_parallel_size") == "1"

    assert option(train, "--nodelist") == "gpu-1" and option(train, "--nodes") == "1"
    _, launch = _accelerate_launch(train)
    assert option(launch, "--num_processes") == "8" and option(launch, "--num_machines") == "1"
    assert option(launch, "--gradient_accumulation_steps") == "16"
    assert option(launch, "--max_steps") == "10"
    assert option(launch, "--vllm_server_host") == "gpu-2"


def test_train_grpo_single_node_splits_the_gpus():
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "Qwen2.5-1.5B-Instruct", "--task", "grpo", "--config", "demo", "--accelerator", "zero2"),
        nodes=["gpu-1"],
    )
    assert code == 0, output
    (serve, _), (check, _), (train, _) = commands
    assert "CUDA_VISIBLE_DEVICES=0" in serve
    assert option(check, "--num_processes") == "7", "the vLLM GPU does not train"
    env, launch = _accelerate_launch(train)
    assert "CUDA_VISIBLE_DEVICES=1,2,3,4,5,6,7" in env
    assert option(launch, "--num_processes") == "7"
    assert option(launch, "--vllm_server_host") == "gpu-1"
    assert "--overlap" in serve and "--overlap" in train, "both steps share the node"


def test_train_preflight_scores_the_rewards_on_the_data_before_training():
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "Qwen2.5-1.5B-Instruct", "--task", "grpo", "--config", "demo", "--accelerator", "zero2"),
        *("--preflight", "50", "--args", "--max_steps=10"),
        nodes=["gpu-1"],
    )
    assert code == 0, output
    (_, serve_in_background), (check, _), (preflight, _), (train, _) = commands
    assert serve_in_background and train[0] == "srun"
    # The same recipe, options and process count as the check, with the rows to score.
    assert preflight[1:3] == ["-m", "open_r1.check_recipe"] and option(preflight, "--sample") == "50"
    assert preflight[: preflight.index("--sample")] == check[: check.index("--max_steps=10")]
    assert option(preflight, "--max_steps") == "10" and "--sample" not in check
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "OpenR1-Distill-7B", "--task", "sft", "--config", "distill", "--accelerator", "zero3"),
        *("--preflight", "50"),
        nodes=["gpu-1"],
    )
    assert code != 0 and "--preflight scores a GRPO recipe's rewards" in output and not commands


@pytest.mark.parametrize("form", ["--gradient_accumulation_steps=2", "--gradient_accumulation_steps 2"])
def test_train_args_override_gradient_accumulation(form):
    code, output, commands = dry_run(
        "train.slurm",
        *("--model", "OlympicCoder-7B", "--task", "sft", "--config", "v00.00", "--accelerator", "zero3"),
        *("--args", f"--learning_rate=1e-6 {form}"),
        nodes=["gpu-1"],
    )
    assert code == 0, output
    _, launch = _accelerate_launch(commands[-1][0])
    assert option(launch, "--gradient_accumulation_steps") == "2", "DeepSpeed and the trainer must agree"
    assert launch[-1] == "2" or launch[-1].endswith("=2")
    assert "--learning_rate=1e-6" in launch


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "NoSuchModel", "--task", "sft", "--config", "x", "--accelerator", "zero3"], "no recipe"),
        (
            ["--model", "OpenR1-Distill-7B", "--task", "dpo", "--config", "distill", "--accelerator", "zero3"],
            "sft or grpo",
        ),
        (
            ["--model", "OpenR1-Distill-7B", "--task", "sft", "--config", "distill", "--accelerator", "zero9"],
            "no accelerate config",
        ),
        (["--model", "OpenR1-Distill-7B", "--task", "sft"], "required"),
        (["--model", "OpenR1-Distill-7B", "--bogus", "1"], "unknown option"),
    ],
)
def test_train_rejects_bad_arguments(args, message):
    code, output, commands = dry_run("train.slurm", *args, nodes=["gpu-1"])
    assert code != 0 and message in output and not commands


def test_train_refuses_vllm_that_leaves_no_training_gpu():
    code, output, _ = dry_run(
        "train.slurm",
        *("--model", "Qwen2.5-1.5B-Instruct", "--task", "grpo", "--config", "demo", "--accelerator", "zero2"),
        *("--dp", "8"),
        nodes=["gpu-1"],
    )
    assert code != 0 and "GPUs left for training" in output


def _recipe_launches():
    """Every recipe header's `sbatch --nodes=N slurm/train.slurm ...` line, with its stated training processes."""
    launches = []
    for path in sorted((REPO_ROOT / "recipes").glob("*/*/config_*.yaml")):
        header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
        header = re.sub(r"\\\n#\s+", "", header)  # join continued lines
        # `GPUS_PER_NODE=1 sbatch --nodes=1 --gres=gpu:1 slurm/train.slurm ...` (a 1-GPU recipe) counts too.
        sbatch = re.search(r"(?:GPUS_PER_NODE=(\d+) )?sbatch --nodes=(\d+) (?:--\S+ )*slurm/train\.slurm (.+)", header)
        processes = re.search(r"^# Training processes: (\d+)$", header, flags=re.MULTILINE)
        if sbatch and processes:
            env = {"GPUS_PER_NODE": sbatch.group(1)} if sbatch.group(1) else {}
            launches.append((path, int(sbatch.group(2)), shlex.split(sbatch.group(3)), processes.group(1), env))
    return launches


RECIPE_LAUNCHES = _recipe_launches()


@pytest.mark.parametrize(
    "path, nodes, args, processes, env", RECIPE_LAUNCHES, ids=_ids([r[0] for r in RECIPE_LAUNCHES])
)
def test_recipe_sbatch_line_trains_on_the_documented_process_count(path, nodes, args, processes, env):
    """The recipe's stated `Training processes` is what train.slurm actually launches with its sbatch line."""
    code, output, commands = dry_run("train.slurm", *args, nodes=[f"gpu-{i}" for i in range(1, nodes + 1)], **env)
    assert code == 0, output
    _, launch = _accelerate_launch(commands[-1][0])
    assert option(launch, "--num_processes") == processes, f"{path.name}: {output}"
    assert option(launch, "--config") == path.relative_to(REPO_ROOT).as_posix()
    check = commands[-2][0]
    assert check[1:3] == ["-m", "open_r1.check_recipe"] and option(check, "--num_processes") == processes


def test_recipe_launch_lines_were_found():
    assert len(RECIPE_LAUNCHES) >= 7


# --- evaluate.slurm ----------------------------------------------------------------------------------------------


def _evaluation_commands(output: str) -> tuple[list[str] | None, list[str], dict[str, str]]:
    """The vLLM server's and lighteval's command lines a dry run printed (open_r1.utils.evaluation --dry-run), and
    the variables set before lighteval's."""
    server, lighteval, env = None, None, {}
    for line in output.splitlines():
        words = shlex.split(line) if ("vllm_runtime serve" in line or "src/open_r1/evaluate.py" in line) else []
        variables = {}
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            key, value = words.pop(0).split("=", 1)
            variables[key] = value
        if "open_r1.utils.vllm_runtime" in words:
            server = words
        elif words:
            lighteval, env = words, variables
    assert lighteval, output
    return server, lighteval, env


@pytest.mark.parametrize("tensor_parallel", ["False", "True"])
def test_evaluate_serves_the_model_and_evaluates_through_it(tensor_parallel, tmp_path):
    """What training submits (TASK_NAME TASKS MODEL REVISION TP TRUST PROMPT) becomes `make evaluate`'s commands:
    `vllm serve` of the model at that revision, sharded or replicated over the GPUs, and lighteval against it."""
    from open_r1.utils.served_model import LiteLLMModelConfig

    system_prompt = 'Reason step by step, then answer in \\boxed{}.\nUse "quotes", commas, and newlines.'
    encoded = base64.b64encode(system_prompt.encode()).decode()
    output_dir = tmp_path / "evals"
    code, output, _ = dry_run(
        "evaluate.slurm",
        *("aime24", "open_r1:aime24|0", "open-r1/OpenR1-Distill-7B", "v01.00", tensor_parallel, "False", encoded),
        NUM_GPUS="8",
        OUTPUT_DIR=str(output_dir),
        HF_HUB_OFFLINE="1",
    )
    assert code == 0, output
    server, lighteval, _ = _evaluation_commands(output)
    assert server[server.index("serve") + 1] == "open-r1/OpenR1-Distill-7B"
    assert option(server, "--revision") == "v01.00" and option(server, "--max-model-len") == "32768"
    sizes = {
        flag: option(server, flag) if flag in server else "1"
        for flag in ("--tensor-parallel-size", "--data-parallel-size")
    }
    assert list(sizes.values()) == (["8", "1"] if tensor_parallel == "True" else ["1", "8"])

    assert lighteval[1:4] == ["src/open_r1/evaluate.py", "endpoint", "litellm"]
    path, spec = lighteval[4:6]
    assert path == str(output_dir / "model_config.yaml") and spec == "open_r1:aime24|0"
    model = LiteLLMModelConfig(**yaml.safe_load(Path(path).read_text())["model_parameters"])  # lighteval's check
    assert model.model_name == "open-r1/OpenR1-Distill-7B" and model.system_prompt == system_prompt
    assert model.base_url.endswith(f":{option(server, '--port')}/v1")
    assert model.generation_parameters.temperature == 0.6 and model.generation_parameters.top_p == 0.95
    assert option(lighteval, "--output-dir") == str(output_dir)


def test_evaluate_without_system_prompt_usage_and_a_wrong_spec(tmp_path):
    code, output, _ = dry_run(
        "evaluate.slurm", "math_500", "open_r1:math_500|0", "org/model", "main", NUM_GPUS="4", HF_HUB_OFFLINE="1"
    )
    assert code == 0, output
    server, lighteval, _ = _evaluation_commands(output)
    assert option(server, "--data-parallel-size") == "4"
    assert lighteval[4].startswith("model_name=org/model,") and "system_prompt" not in lighteval[4]
    assert option(lighteval, "--output-dir") == "data/evals/org/model/main/math_500"
    code, output, _ = dry_run("evaluate.slurm", "math_500", "open_r1:aime24|0", "org/model", "main")
    assert code != 0 and "is not 'math_500'" in output
    code, output, _ = dry_run("evaluate.slurm", "aime24")
    assert code != 0 and "Usage" in output
    code, output, _ = dry_run("evaluate.slurm", "--help")
    assert code == 0 and "Usage" in output and "BACKEND" in output


def test_evaluate_accelerate_backend_config_is_valid_for_lighteval(tiny_world, tmp_path):
    """BACKEND=accelerate: lighteval's transformers backend, one process where there is no GPU (no nvidia-smi)."""
    from lighteval.models.transformers.transformers_model import TransformersModelConfig

    code, output, _ = dry_run(
        "evaluate.slurm",
        *("math_500", "open_r1:math_500|0", str(tiny_world / "model"), "main"),
        BACKEND="accelerate",
        MAX_SAMPLES="8",
        MAX_MODEL_LENGTH="2048",
        OUTPUT_DIR=str(tmp_path / "tiny"),
        PATH="/usr/bin:/bin",  # no nvidia-smi
    )
    assert code == 0, output
    server, lighteval, _ = _evaluation_commands(output)
    assert server is None
    assert lighteval[1:3] == ["src/open_r1/evaluate.py", "accelerate"]
    fields = dict(part.split("=", 1) for part in lighteval[3].split(",") if "=" in part and "{" not in part)
    model = TransformersModelConfig(**fields)
    assert model.model_name == str(tiny_world / "model") and model.batch_size == 8 and model.max_length == 2048
    assert option(lighteval, "--max-samples") == "8"
    code, output, _ = dry_run("evaluate.slurm", "a", "b", "c", "d", BACKEND="sglang")
    assert code != 0 and "BACKEND must be vllm or accelerate" in output


# --- generate / serve / routers / pass rate / piston --------------------------------------------------------------


def _path_with_nvidia_smi(tmp_path: Path) -> str:
    """PATH with an `nvidia-smi` in front: the launcher sees a GPU node (this machine has none)."""
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100'\n")
    fake.chmod(0o755)
    return f"{fake.parent}{os.pathsep}{os.environ['PATH']}"


def test_generate_serves_with_ray_across_nodes_then_generates(tmp_path):
    code, output, commands = dry_run(
        "generate.slurm",
        *("--model", "deepseek-ai/DeepSeek-R1", "--hf-dataset", "AI-MO/NuminaMath-1.5", "--prompt-column", "problem"),
        *("--temperature", "0.6", "--num-generations", "4", "--hf-output-dataset", "org/traces"),
        nodes=["gpu-1", "gpu-2"],
        PATH=_path_with_nvidia_smi(tmp_path),
    )
    assert code == 0, output
    argvs = [argv for argv, _ in commands]
    ray_starts = [argv for argv in argvs if argv[4:6] == ["ray", "start"]]
    assert len(ray_starts) == 2 and "--head" in ray_starts[0] and option(ray_starts[1], "--address") == "gpu-1:6379"
    vllm = next(argv for argv in argvs if "open_r1.utils.vllm_runtime" in argv)  # `vllm`, on either vLLM build
    start = vllm.index("open_r1.utils.vllm_runtime")
    assert vllm[start + 1 : start + 3] == ["serve", "deepseek-ai/DeepSeek-R1"]
    assert option(vllm, "--tensor-parallel-size") == "8" and option(vllm, "--pipeline-parallel-size") == "2"
    assert option(vllm, "--distributed-executor-backend") == "ray" and "--enforce-eager" not in vllm
    generate = argvs[-1]
    assert generate[:3] == ["env", "RAY_ADDRESS=gpu-1:6379", "python"], "generate.py must join the job's Ray cluster"
    generate = generate[2:]
    assert generate[:2] == ["python", "src/open_r1/generate.py"]
    assert option(generate, "--vllm-server-url") == "http://gpu-1:8000/v1"
    assert option(generate, "--prompt-column") == "problem" and option(generate, "--temperature") == "0.6"
    assert option(generate, "--hf-output-dataset") == "org/traces"
    assert "--top-p" not in generate and "--private" not in generate, "unset options are left to generate.py"
    assert "--output-dir" not in generate
    code, output, _ = dry_run("generate.slurm", "--model", "m", nodes=["gpu-1"])
    assert code != 0 and "--hf-dataset are required" in output
    code, output, commands = dry_run(
        "generate.slurm",
        *("--model", "data/tiny/model", "--hf-dataset", "d", "--output-dir", "out"),
        nodes=["cpu-1", "cpu-2"],
        PATH=f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",  # no nvidia-smi: one vLLM replica on the CPU
    )
    assert code == 0, output
    (vllm,) = [argv for argv, _ in commands if "open_r1.utils.vllm_runtime" in argv]
    assert option(vllm, "--nodelist") == "cpu-1" and option(vllm, "--dtype") == "float32"
    assert "--enforce-eager" in vllm and option(vllm, "--kv-cache-memory-bytes") == "1G"
    assert "--pipeline-parallel-size" not in vllm and "--gpu-memory-utilization" not in vllm
    code, output, _ = dry_run("generate.slurm", "--model", "m", "--hf-dataset", "d", nodes=["gpu-1"])
    assert code != 0 and "--output-dir" in output, "generate.py would throw the generations away"


def test_serve_r1_spans_the_nodes_and_registers_with_the_router():
    code, output, commands = dry_run("serve_r1.slurm", "-r", "router-node:39876", nodes=["gpu-1", "gpu-2"])
    assert code == 0, output
    (srun, background), _wait, (curl, _) = commands
    assert background and option(srun, "--ntasks") == "2"
    sglang = shlex.split(srun[-1])
    assert sglang[:3] == ["python3", "-m", "sglang.launch_server"]
    assert option(sglang, "--model-path") == "deepseek-ai/DeepSeek-R1" and option(sglang, "--tp") == "16"
    assert option(sglang, "--dist-init-addr") == "gpu-1:45000" and option(sglang, "--nnodes") == "2"
    assert option(sglang, "--node-rank") == "$SLURM_PROCID"
    assert curl[-1] == "http://router-node:39876/add_worker?url=http://gpu-1:39877"


def test_serve_router():
    code, output, commands = dry_run("serve_router.slurm")
    assert code == 0, output
    ((argv, _),) = commands
    assert argv[:3] == ["python", "-m", "sglang_router.launch_router"] and option(argv, "--port") == "39876"


@pytest.mark.parametrize(
    "script, router, key, port",
    [
        ("e2b_router.slurm", "scripts/e2b_router.py", "E2B_API_KEY", "8000"),
        ("morph_router.slurm", "scripts/morph_router.py", "MORPH_API_KEY", "8001"),
    ],
)
def test_sandbox_routers(script, router, key, port):
    code, output, commands = dry_run(script, "32")
    assert code == 0, output
    ((argv, _),) = commands
    assert argv[:3] == ["srun", "python", router]
    assert option(argv, "--port") == port and option(argv, "--max_num_sandboxes") == "32"
    # For real, a missing key stops the job before it starts anything.
    env = {name: value for name, value in os.environ.items() if name != key}
    result = subprocess.run(["bash", f"slurm/{script}"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and key in result.stderr


def test_compute_pass_rate_slices():
    recipe = "recipes/dataset_filtering/filter_dapo.yaml"
    code, output, commands = dry_run("compute_pass_rate.slurm", recipe, "0", "500")
    assert code == 0, output
    ((argv, _),) = commands
    assert (
        argv[:2] == ["python", "scripts/pass_rate_filtering/compute_pass_rate.py"]
        and option(argv, "--config") == recipe
    )
    assert (option(argv, "--dataset_start_index"), option(argv, "--dataset_end_index")) == ("0", "500")
    # As task 3 of a job array of 500-problem slices.
    code, output, commands = dry_run("compute_pass_rate.slurm", recipe, "500", SLURM_ARRAY_TASK_ID="3")
    assert code == 0, output
    argv = commands[0][0]
    assert (option(argv, "--dataset_start_index"), option(argv, "--dataset_end_index")) == ("1500", "2000")
    code, output, _ = dry_run("compute_pass_rate.slurm", "recipes/nope.yaml", "0", "1")
    assert code != 0 and "no recipe" in output


def test_piston_workers():
    code, output, commands = dry_run("piston/launch_piston_workers.sh", "2")
    assert code == 0, output
    assert [argv for argv, _ in commands] == [
        [
            "sbatch",
            f"--job-name=piston-worker-{port}",
            f"--export=ALL,PORT={port}",
            "slurm/piston/launch_single_piston.sh",
        ]
        for port in (2000, 2001)
    ]
    code, output, commands = dry_run("piston/launch_single_piston.sh", PORT="2001")
    assert code == 0, output
    ((srun, _),) = commands
    assert option(srun, "--container-image").startswith("ghcr.io#engineer-man/piston")
    assert "PISTON_BIND_ADDRESS=0.0.0.0:2001" in srun and "PISTON_DISABLE_NETWORKING=true" in srun
    assert srun[-2] == "-c" and srun[-1].endswith("&& node src") and 'limit: "512mb"' in srun[-1]
    code, output, _ = dry_run("piston/launch_single_piston.sh")
    assert code != 0 and "PORT is not set" in output
