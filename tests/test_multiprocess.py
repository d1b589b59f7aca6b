"""Real 2-process runs of the tiny SFT and GRPO recipes under every shipped accelerate config, on CPU.

Each run is the README's command, `accelerate launch --config_file recipes/accelerate_configs/<config>.yaml
--num_processes 2 ...`, with no CPU flag and no environment variable: on a machine without a GPU the configs adapt
themselves (use_cpu, float32 instead of the config's bf16, DeepSpeed's CPU accelerator, FSDP2 over gloo) and say so in
one warning line. The entry point's `main()` runs through tests/rank_probe.py, which has every rank write down what it
held after each optimizer step.

What the runs show:
- DDP: both ranks train together (one gloo process group, the batch split between them) and end with the same
  weights, equal to the saved checkpoint.
- ZeRO-2, ZeRO-3 and FSDP train the same model as DDP: the same loss at every step, and saved models that load and
  give the same logits on a fixed input. GRPO under DDP, ZeRO-2 and ZeRO-3 likewise (same losses, rewards, logits).
- They really shard: each rank keeps half of the Adam state (ZeRO-2) and half of the parameters too (ZeRO-3, FSDP).
  A config that silently trained as DDP holds everything on every rank and fails here.
- Resume: a ZeRO-3 or FSDP run SIGKILLed once its step-2 checkpoint is on disk, relaunched with the same command,
  ends with the weights of the uninterrupted run.

Tolerance: every run computes in float32, on the same batches in the same order from the same seed. They differ only
in how gradients are summed across the ranks (DDP all-reduces buckets; ZeRO reduce-scatters flat partitions; FSDP
reduce-scatters per-parameter shards) and where the norm for gradient clipping is summed, which changes the last bits
of float32 sums (~1e-7 relative). Logged values per step (`RTOL`, `ATOL` = 1e-5): measured, losses agree to the last
digit and grad norms within 3e-7 relative, and GRPO's rewards are equal (the same completions were sampled).
Saved models (`LOGITS_FRACTION`): Adam's update is about lr x sign(gradient) while a gradient is far above its eps,
however small, so a weight whose gradient is a near-cancelling sum (rounding-level, of either sign) can move by up to
2 x lr differently in two runs. A handful do: measured, the logits on a fixed prompt differ by 6e-7 (SFT) and 2e-5
(GRPO, lr 1e-3, ZeRO-3) while training moved them by 1-5. So the saved models must agree to 1e-3 of what training
changed, 40x the worst measured. Anything that changes what is trained (a rank training alone on its half of the
batch, a gradient shard lost or counted twice, a model saved from one rank's shard) moves the losses, which fall by
~0.5 per step here, and the logits by a large fraction of the change.
"""

import json
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ACCELERATE, run_command, tiny_overrides
from rank_probe import weights_sha256 as _weights_sha256


pytestmark = pytest.mark.slow

RTOL = 1e-5
ATOL = 1e-5
LOGITS_FRACTION = 1e-3
PROBE = str(Path(__file__).with_name("rank_probe.py"))
# 4 steps, each one updating the weights (no warmup at lr 0), a checkpoint at step 2 for the resume tests.
SFT_ARGS = ("--max_steps", "4", "--warmup_steps", "0", "--logging_steps", "1", "--save_steps", "2")
# The untrained tiny model earns the same accuracy and format reward (0) on every completion of a prompt: zero
# advantage, zero gradient, weights that stay in sync by never moving, and runs that trivially agree. The cosine reward
# scores wrong answers by their length, which differs between completions, so every step has a gradient to compare.
GRPO_ARGS = (
    "--max_steps",
    "2",
    "--save_strategy",
    "no",
    "--reward_funcs",
    "accuracy",
    "format",
    "cosine",
    "--reward_weights",
    "1.0",
    "0.5",
    "1.0",
    "--cosine_max_len",
    "100",
)
SHARDED = ("zero2", "zero3", "fsdp")


@dataclass
class Run:
    output_dir: Path
    output: str
    seconds: float
    returncode: int

    def rank(self, index: int) -> dict:
        return json.loads((self.output_dir / f"rank{index}.json").read_text())

    def logged_steps(self) -> list[dict]:
        history = json.loads((self.output_dir / "trainer_state.json").read_text())["log_history"]
        return [entry for entry in history if "loss" in entry]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(task: str, config: str, tiny_world: Path, output_dir: Path, *extra: str, expect_success: bool = True):
    command = [
        ACCELERATE,
        "launch",
        "--config_file",
        f"recipes/accelerate_configs/{config}.yaml",
        "--num_processes",
        "2",
        "--main_process_port",
        str(_free_port()),
        PROBE,
        task,
        "--config",
        f"recipes/tiny/{task}/config_demo.yaml",
        *tiny_overrides(tiny_world, output_dir, task),
        "--log_level",
        "info",
        "--log_level_replica",
        "info",
        *(SFT_ARGS if task == "sft" else GRPO_ARGS),
        *extra,
    ]
    start = time.monotonic()
    result = run_command(command, timeout=300)
    seconds = time.monotonic() - start
    if expect_success and result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if re.search(r"Error|Traceback|^\[rank\d\]:", line)]
        pytest.fail(f"{config} launch failed:\n" + "\n".join(errors[-60:]) + "\n...\n" + result.stdout[-3000:])
    print(f"{task} {config}: {seconds:.0f} s")
    return Run(output_dir, result.stdout, seconds, result.returncode)


@pytest.fixture(scope="module")
def runs(tiny_world, tmp_path_factory):
    """One run per (task, config), launched on first use and shared by the tests that compare them."""
    cache = {}

    def get(task: str, config: str) -> Run:
        if (task, config) not in cache:
            cache[task, config] = _launch(task, config, tiny_world, tmp_path_factory.mktemp(f"{task}-{config}"))
        return cache[task, config]

    return get


def _logits(model_dir: Path, tiny_world: Path):
    """The saved model's logits on a fixed prompt, loaded the way a user loads it (no DeepSpeed, no FSDP)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_world / "model")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    inputs = tokenizer("What is 12 + 30? Think step by step.", return_tensors="pt")
    with torch.no_grad():
        return model(**inputs).logits


def _assert_same_training(run: Run, reference: Run, tiny_world: Path, keys: tuple[str, ...]):
    """Same logged values step by step, and saved models with the same logits."""

    steps, reference_steps = run.logged_steps(), reference.logged_steps()
    assert [s["step"] for s in steps] == [s["step"] for s in reference_steps]
    for step, reference_step in zip(steps, reference_steps):
        for key in keys:
            assert step[key] == pytest.approx(reference_step[key], rel=RTOL, abs=ATOL), (key, step, reference_step)
    # Both runs moved the logits away from the untrained model's, to the same place.
    logits, expected = _logits(run.output_dir, tiny_world), _logits(reference.output_dir, tiny_world)
    change = (expected - _logits(tiny_world / "model", tiny_world)).abs().max().item()
    difference = (logits - expected).abs().max().item()
    assert change > 0.1, "training did not move the model: the comparison would be empty"
    assert difference <= LOGITS_FRACTION * change, (
        f"logits differ by {difference:.2e}, training moved them {change:.2f}"
    )
    print(f"saved model: logits differ by {difference:.1e}, training moved them by {change:.2f}")


def _assert_ranks_trained_together(run: Run, distributed_type: str, steps: int):
    # Both ranks ran open_r1's setup in a distributed process group (setup_logging logs one line per process).
    ranks = sorted(set(re.findall(r"Process rank (\d+), device cpu\S*, n_gpu 0, distributed True", run.output)))
    assert ranks == ["0", "1"], run.output[-4000:]
    markers = [run.rank(0), run.rank(1)]
    assert [m["process_index"] for m in markers] == [0, 1]
    assert all(m["num_processes"] == 2 and m["distributed_type"] == distributed_type for m in markers), markers
    assert all(m["global_step"] == steps for m in markers)
    return markers


def _assert_replicas_equal_and_trained(markers: list[dict], tiny_world: Path):
    """DDP: the same weights on every rank, equal to the saved checkpoint, and moved by training (replicas that never
    changed would be "in sync" without any gradient averaging)."""
    from safetensors.torch import load_file

    assert markers[0]["sha256"] == markers[1]["sha256"]
    assert all(m["equals_saved_checkpoint"] for m in markers)
    untrained = load_file(tiny_world / "model" / "model.safetensors")
    assert markers[0]["sha256"] != _weights_sha256(untrained)


def _held_fractions(run: Run) -> list[tuple[float, float]]:
    """Per rank, the largest fraction of the model's parameters and of its Adam state held after any step."""
    fractions = []
    for index in (0, 1):
        held = run.rank(index)["held_after_each_step"]
        assert held, "the probe saw no optimizer step"
        fractions.append(
            (
                max(s["parameter_elements_held"] / s["model_elements"] for s in held),
                max(s["adam_elements_held"] / s["model_elements"] for s in held),
            )
        )
    return fractions


def _assert_adapted_to_the_cpu(run: Run, config: str):
    """The one warning line that says what changed; said once, by rank 0."""
    lines = [line for line in run.output.splitlines() if "No GPU found, adapted for the CPU:" in line]
    assert len(lines) == 1, lines
    assert "use_cpu on (so the 2 processes train together)" in lines[0]
    assert "bf16 mixed precision of the accelerate config off (float32)" in lines[0]
    expected = {
        "ddp": None,
        "zero2": "DeepSpeed ZeRO-2 on its cpu accelerator",
        "zero3": "DeepSpeed ZeRO-3 on its cpu accelerator",
        "fsdp": "FSDP2 over gloo",
    }[config]
    if expected:
        assert expected in lines[0]


def test_sft_ddp_two_processes(runs, tiny_world):
    run = runs("sft", "ddp")
    _assert_adapted_to_the_cpu(run, "ddp")
    markers = _assert_ranks_trained_together(run, "DistributedType.MULTI_CPU", steps=4)
    _assert_replicas_equal_and_trained(markers, tiny_world)
    assert _held_fractions(run) == [(1.0, 1.0), (1.0, 1.0)]  # every rank holds all of the model and its Adam state
    # The global batch is per-device batch x 2 processes: the data was split between the ranks, not duplicated.
    assert "Total train batch size (w. parallel, distributed & accumulation) = 32" in run.output  # 16 per device x 2
    assert json.loads((run.output_dir / "trainer_state.json").read_text())["train_batch_size"] == 16


@pytest.mark.parametrize("config", SHARDED)
def test_sft_sharded_trains_like_ddp(runs, tiny_world, config):
    run, reference = runs("sft", config), runs("sft", "ddp")
    _assert_adapted_to_the_cpu(run, config)
    _assert_ranks_trained_together(run, "DistributedType.FSDP" if config == "fsdp" else "DistributedType.DEEPSPEED", 4)
    _assert_same_training(run, reference, tiny_world, keys=("loss", "grad_norm"))
    for parameters, adam_state in _held_fractions(run):
        # Half of each (2 ranks), up to the padding of the flat partitions.
        assert adam_state == pytest.approx(0.5, abs=0.01)
        assert parameters == (1.0 if config == "zero2" else pytest.approx(0.5, abs=0.01))


def test_grpo_ddp_two_processes(runs, tiny_world):
    run = runs("grpo", "ddp")
    markers = _assert_ranks_trained_together(run, "DistributedType.MULTI_CPU", steps=2)
    _assert_replicas_equal_and_trained(markers, tiny_world)
    # 8 completions per device x 2 processes = 16 per step = 4 prompts x 4 generations, split across the ranks.
    assert "Total train batch size (w. parallel, distributed & accumulation) = 16" in run.output
    for reward in ("accuracy_reward", "format_reward", "cosine_scaled_reward"):
        assert f"'rewards/{reward}/mean'" in run.output
    assert all(step["grad_norm"] > 0 for step in run.logged_steps()), "no gradient: the comparison would be empty"


@pytest.mark.parametrize("config", ("zero2", "zero3"))
def test_grpo_sharded_trains_like_ddp(runs, tiny_world, config):
    run, reference = runs("grpo", config), runs("grpo", "ddp")
    _assert_adapted_to_the_cpu(run, config)
    _assert_ranks_trained_together(run, "DistributedType.DEEPSPEED", steps=2)
    # ZeRO-3 generates with weights gathered from both ranks' shards: the same completions, so the same rewards.
    _assert_same_training(run, reference, tiny_world, keys=("loss", "grad_norm", "reward", "completions/mean_length"))
    for parameters, adam_state in _held_fractions(run):
        assert adam_state == pytest.approx(0.5, abs=0.01)
        assert parameters == (1.0 if config == "zero2" else pytest.approx(0.5, abs=0.01))


@pytest.mark.parametrize("config", ("zero3", "fsdp"))
def test_sft_sharded_run_killed_after_a_checkpoint_resumes_to_the_same_weights(runs, tiny_world, tmp_path, config):
    import torch
    from safetensors.torch import load_file

    output_dir = tmp_path / "sft"
    killed = _launch("sft", config, tiny_world, output_dir, "--probe_kill_at", "2", expect_success=False)
    assert killed.returncode != 0, killed.output[-3000:]  # the launcher saw its ranks die
    assert (output_dir / "checkpoint-2").is_dir() and not (output_dir / "model.safetensors").exists()
    # The same command again, as a requeued job runs it: it finds checkpoint-2 and trains steps 3 and 4 only.
    resumed = _launch("sft", config, tiny_world, output_dir)
    assert f"Checkpoint detected, resuming training at {output_dir / 'checkpoint-2'}" in resumed.output
    assert [s["step"] for s in resumed.logged_steps()] == [1, 2, 3, 4]  # the history before the kill was restored
    assert all(resumed.rank(i)["global_step"] == 4 for i in (0, 1))
    assert len(resumed.rank(0)["held_after_each_step"]) == 2  # only the steps after the checkpoint were trained

    uninterrupted = runs("sft", config)
    weights, expected = (
        load_file(output_dir / "model.safetensors"),
        load_file(uninterrupted.output_dir / "model.safetensors"),
    )
    assert weights.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(weights[name], expected[name], rtol=RTOL, atol=ATOL, msg=name)
    _assert_same_training(resumed, uninterrupted, tiny_world, keys=("loss", "grad_norm"))
