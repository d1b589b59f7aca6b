"""The entry points run as users run them (`accelerate launch src/open_r1/...`), on the tiny world, on a CPU."""

import json
import subprocess
import time
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT, entry_point_env, launch_command, run_entry_point, tiny_overrides
from transformers import AutoModelForCausalLM, AutoTokenizer


SFT_RECIPE = "recipes/tiny/sft/config_demo.yaml"
GRPO_RECIPE = "recipes/tiny/grpo/config_demo.yaml"


def assert_succeeded(result):
    assert result.returncode == 0, result.stdout[-6000:]


def assert_model_reloads_and_generates(output_dir: Path):
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    model = AutoModelForCausalLM.from_pretrained(output_dir)
    assert model.config.use_cache is True  # restored for inference after training without the cache
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 1 + 2 - 3?"}], add_generation_prompt=True, tokenize=False
    )
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assert output.shape[1] > inputs["input_ids"].shape[1]


@pytest.mark.slow
def test_sft_trains_saves_and_the_model_generates(tiny_world, tmp_path):
    output_dir = tmp_path / "sft"
    result = run_entry_point("sft.py", "--config", SFT_RECIPE, *tiny_overrides(tiny_world, output_dir, "sft"))
    assert_succeeded(result)
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 20
    losses = [entry["loss"] for entry in state["log_history"] if "loss" in entry]
    assert losses[-1] < losses[0], losses  # it learned something, not just ran
    card = (output_dir / "README.md").read_text()  # the model card names the real model and dataset
    assert "# Model Card for sft\n" in card and "None" not in card, card[:1500]
    assert f"a fine-tuned version of `{tiny_world / 'model'}` (a local model)" in card
    assert f"on the `{tiny_world / 'sft.jsonl'}` dataset (a local file)" in card
    assert "huggingface.co/datasets/" not in card and f'model="{output_dir}"' in card
    assert_model_reloads_and_generates(output_dir)


@pytest.mark.slow
def test_grpo_trains_saves_and_the_model_generates(tiny_world, tmp_path):
    output_dir = tmp_path / "grpo"
    result = run_entry_point("grpo.py", "--config", GRPO_RECIPE, *tiny_overrides(tiny_world, output_dir, "grpo"))
    assert_succeeded(result)
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    logged = [entry for entry in state["log_history"] if "reward" in entry]
    assert logged, state["log_history"]
    # Every reward of the recipe was computed and logged by name.
    for reward in ("accuracy_reward", "format_reward", "len_reward"):
        assert any(key.startswith(f"rewards/{reward}") for key in logged[0]), logged[0]
    # A gradient flowed: the rewards differed within a group at some step (all-equal rewards give loss 0, grad 0).
    assert any(entry["grad_norm"] > 0 and entry["reward_std"] > 0 for entry in logged), logged
    assert_model_reloads_and_generates(output_dir)


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_checkpoint(tiny_world, tmp_path):
    output_dir = tmp_path / "killed"
    args = ["--config", SFT_RECIPE, *tiny_overrides(tiny_world, output_dir, "sft")]
    # A long run, killed as soon as its first checkpoint is complete.
    process = subprocess.Popen(
        launch_command("sft.py", *args, "--max_steps", "2000", "--save_steps", "5"),
        cwd=REPO_ROOT,
        env=entry_point_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    checkpoint = output_dir / "checkpoint-5" / "trainer_state.json"
    deadline = time.monotonic() + 180
    try:
        while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(process.pid)], check=False)
        process.wait(timeout=30)
    assert checkpoint.exists(), "the first run never wrote checkpoint-5"
    assert not (output_dir / "model.safetensors").exists(), "the first run finished before it was killed"
    last_step = max(int(path.name.split("-")[1]) for path in output_dir.glob("checkpoint-*"))

    result = run_entry_point("sft.py", *args, "--max_steps", str(last_step + 5), "--save_steps", "5")
    assert_succeeded(result)
    assert f"Checkpoint detected, resuming training at {output_dir / f'checkpoint-{last_step}'}" in result.stdout
    assert f"Resuming training from checkpoint with epoch 0 and global step {last_step}" in result.stdout
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == last_step + 5


# --- fail fast: bad input is reported before any model is loaded, in one message and no traceback ----------------
# The model folder of these runs is a decoy (a config.json no loader reads): had the run gone as far as loading the
# model, its error would name that folder.


def fail_fast(script: str, recipe: str, *args: str, tmp_path: Path) -> str:
    """Runs an entry point that must fail; returns its closing message (from `<script>: error:` to the end)."""
    decoy = tmp_path / "decoy-model"
    decoy.mkdir(exist_ok=True)
    (decoy / "config.json").write_text('{"model_type": "no-such-architecture"}')
    result = run_entry_point(
        script,
        "--config",
        recipe,
        "--model_name_or_path",
        str(decoy),
        "--output_dir",
        str(tmp_path / "out"),
        *args,
        launcher="python",
        timeout=120,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Traceback" not in result.stdout, result.stdout[-3000:]
    start = result.stdout.rfind(f"{script}: error: ")
    assert start >= 0, result.stdout[-3000:]
    message = result.stdout[start:]
    assert "decoy-model" not in message, "the error came only when loading the model"
    return message


def test_unknown_reward_fails_fast(tiny_world, tmp_path):
    dataset = str(tiny_world / "grpo.jsonl")
    out = fail_fast(
        "grpo.py",
        GRPO_RECIPE,
        "--dataset_name",
        dataset,
        "--reward_funcs",
        "accuracy",
        "acuracy",
        "--reward_weights",
        "1.0",
        "1.0",
        tmp_path=tmp_path,
    )
    assert "Unknown reward function(s) in `reward_funcs`: acuracy (did you mean accuracy?)" in out


def test_missing_prompt_column_fails_fast(tiny_world, tmp_path):
    dataset = str(tiny_world / "grpo.jsonl")
    out = fail_fast(
        "grpo.py", GRPO_RECIPE, "--dataset_name", dataset, "--dataset_prompt_column", "question", tmp_path=tmp_path
    )
    assert "no column 'question'" in out and "dataset_prompt_column" in out


def test_mismatched_reward_weights_fail_fast(tiny_world, tmp_path):
    out = fail_fast(
        "grpo.py",
        GRPO_RECIPE,
        "--dataset_name",
        str(tiny_world / "grpo.jsonl"),
        "--reward_weights",
        "1.0",
        tmp_path=tmp_path,
    )
    assert "one weight per reward" in out


def test_bad_mixture_fails_fast(tmp_path):
    # Every mixture error is covered in test_configs; this checks the entry point reports one before loading.
    (tmp_path / "a.jsonl").write_text('{"text": "a"}\n')
    mixture = json.dumps({"datasets": [{"id": str(tmp_path / "a.jsonl"), "weight": 2}]})
    out = fail_fast("sft.py", SFT_RECIPE, "--dataset_mixture", mixture, tmp_path=tmp_path)
    assert "must lie in (0, 1]" in out


def test_unknown_recipe_key_fails_fast(tiny_world, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(Path(REPO_ROOT / SFT_RECIPE).read_text() + "\nlearnig_rate: 0.1\n")
    out = fail_fast("sft.py", str(recipe), "--dataset_name", str(tiny_world / "sft.jsonl"), tmp_path=tmp_path)
    assert "learnig_rate" in out and "did you mean learning_rate" in out


def test_sft_dataset_without_messages_fails_fast(tiny_world, tmp_path):
    out = fail_fast("sft.py", SFT_RECIPE, "--dataset_name", str(tiny_world / "grpo.jsonl"), tmp_path=tmp_path)
    assert "none of which SFT can train on" in out


def test_num_generations_that_do_not_divide_the_batch_say_what_would(tiny_world, tmp_path):
    out = fail_fast(
        "grpo.py", GRPO_RECIPE, "--dataset_name", str(tiny_world / "grpo.jsonl"), "--num_generations", "3",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert "generation_batch_size (8) must be divisible by num_generations (3)" in out
    assert out.rstrip().endswith("Fix: --num_generations 2, 4 or 8, or --per_device_train_batch_size 9.")


@pytest.mark.parametrize("script", ["sft.py", "grpo.py"])
def test_help_starts_with_how_to_run_and_an_argparse_error_is_one_line(script, tiny_world, tmp_path):
    """--help printed 892 (SFT) / 1,519 (GRPO) lines, opening with a usage line of every option, and never said
    --config, --check or --num_processes; each argparse error printed that usage again above it."""
    result = run_entry_point(script, "--help", launcher="python", timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    top = "\n".join(result.stdout.splitlines()[:12])
    assert f"accelerate launch [--num_processes N] {script} --config RECIPE.yaml" in top
    assert f"python {script} --config RECIPE.yaml --check --num_processes N" in top
    assert "--resume_other_run" in top and "--start_over" in top
    recipe = SFT_RECIPE if script == "sft.py" else GRPO_RECIPE
    tiny = tiny_overrides(
        tiny_world, tmp_path / "out", "sft" if script == "sft.py" else "grpo"
    )  # a fresh clone has no data/tiny
    result = run_entry_point(script, "--config", recipe, *tiny, "--lr_scheduler_type", "cosin", launcher="python")
    assert result.returncode == 2
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith(f"{script}: error: argument --lr_scheduler_type/--lr-scheduler-type: invalid choice")
    assert "usage:" not in result.stdout
