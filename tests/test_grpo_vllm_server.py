"""GRPO's `vllm_mode: server` on a CPU, as far as a CPU allows: everything up to the weight sync, for real.

`trl vllm-serve` (as `python -m open_r1.utils.vllm_runtime trl-serve`, which also runs on vLLM's CPU build) serves
the tiny model with trl's own flags; trl's client, the one GRPOTrainer builds, reads the server's setup and
generates through it, with log-probabilities that are the served model's; a GRPO run in server mode reaches it.
What stops a CPU there is trl's weight sync: it runs on vLLM's NCCL weight-transfer engine (vLLM 0.31 has no gloo
or CPU backend: nccl, ipc, sparse_nccl, sharded_rdt, nccl_m2n), and trl refuses a non-CUDA device with a message
naming it. Server mode's weight sync is therefore a GPU-only path; colocate mode syncs on a CPU
(tests/test_grpo_vllm.py).
"""

import subprocess
import sys

import pytest
import torch
from conftest import entry_point_env, launch_command, run_command, tiny_overrides

from open_r1.utils.generation import free_port, wait_for_server
from open_r1.utils.vllm_runtime import _stop_process_group


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trl_server(tiny_world, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("trl-serve") / "server.log"
    command = [sys.executable, "-m", "open_r1.utils.vllm_runtime", "trl-serve", "--model", str(tiny_world / "model")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--max_model_len", "512"]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=entry_point_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_server(f"http://127.0.0.1:{port}/v1", timeout=600, process=process)
        yield {"port": port, "log": log, "model": str(tiny_world / "model")}
    except RuntimeError:
        raise AssertionError(log.read_text()[-6000:]) from None
    finally:
        _stop_process_group(process)


def test_trl_vllm_serve_runs_with_trl_flags_on_the_cpu_build(trl_server):
    log = trl_server["log"].read_text()
    assert "No GPU found, adapted for the CPU: vLLM on the CPU: float32, eager mode, a 1 GiB KV cache" in log
    from trl.generation.vllm_client import VLLMClient

    client = VLLMClient(base_url=f"http://127.0.0.1:{trl_server['port']}", connection_timeout=30)
    info = client.get_server_info()
    # What GRPOTrainer checks or relies on at start: the weight-transfer engine and trainer-side log-probabilities.
    assert info["weight_transfer_config"]["backend"] == "nccl"
    assert info["model_config"]["logprobs_mode"] == "processed_logprobs"
    assert client.get_world_size() == 1


def test_the_trainer_client_generates_with_the_served_weights(trl_server):
    """Completions and log-probabilities from the server, checked against the model loaded with transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.generation.vllm_client import VLLMClient

    client = VLLMClient(base_url=f"http://127.0.0.1:{trl_server['port']}", connection_timeout=30)
    tokenizer = AutoTokenizer.from_pretrained(trl_server["model"])
    prompts = [tokenizer("What is 3 + 4 - 2?")["input_ids"], tokenizer("What is 7 + 1 - 5?")["input_ids"]]
    out = client.generate(prompts, n=4, temperature=1.0, max_tokens=12)
    assert len(out["completion_ids"]) == 8 and all(1 <= len(ids) <= 12 for ids in out["completion_ids"])
    model = AutoModelForCausalLM.from_pretrained(trl_server["model"], dtype=torch.float32)
    worst = 0.0
    for index, completion in enumerate(out["completion_ids"]):
        prompt = prompts[index // 4]
        ids = torch.tensor([prompt + completion])
        with torch.no_grad():
            logits = model(ids).logits[0, len(prompt) - 1 : -1]
        expected = torch.log_softmax(logits.float(), dim=-1).gather(1, torch.tensor(completion)[:, None])[:, 0]
        served = torch.tensor([token[0] for token in out["logprobs"][index]])
        worst = max(worst, (served - expected).abs().max().item())
    assert worst < 1e-3, worst


def test_weight_sync_needs_cuda_and_trl_says_so(trl_server):
    from trl.generation.vllm_client import VLLMClient

    client = VLLMClient(base_url=f"http://127.0.0.1:{trl_server['port']}", connection_timeout=30)
    with pytest.raises(NotImplementedError, match="NCCL weight-transfer engine, which needs a CUDA device"):
        client.init_communicator(device="cpu")


def test_a_grpo_run_in_server_mode_reaches_the_server_then_stops_at_the_weight_sync(trl_server, tiny_world, tmp_path):
    args = [
        "--config",
        "recipes/tiny/grpo/config_vllm.yaml",
        *tiny_overrides(tiny_world, tmp_path / "grpo", "grpo"),
        *("--vllm_mode", "server", "--vllm_server_base_url", f"http://127.0.0.1:{trl_server['port']}"),
    ]
    served_before = trl_server["log"].read_text().count("GET /get_world_size")
    result = run_command(launch_command("grpo.py", *args), timeout=300)
    assert result.returncode != 0
    assert "which needs a CUDA device" in result.stdout, result.stdout[-6000:]
    # The trainer built its client and reached this server (it asked for the server's setup and world size) before stopping.
    assert trl_server["log"].read_text().count("GET /get_world_size") > served_before
