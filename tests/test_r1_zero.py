"""R1-Zero, GRPO straight from a base model: the recipes agree, the rewards accept what the template asks for, and
on the tiny world the whole path runs: GRPO from the base model (no SFT), then `make evaluate` on the saved model.

tests/test_recipes.py parses these recipes like every other one (current names, trl's batch arithmetic at the
header's process count, header commands); tests/test_slurm.py checks that their sbatch lines launch that count.
"""

import io
import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, entry_point_env, run_command, run_entry_point, tiny_overrides
from transformers import AutoTokenizer

from open_r1.check_recipe import TASK_CLASSES, check, recipe_process_count
from open_r1.rewards import accuracy_reward, format_reward


RECIPES = REPO_ROOT / "recipes"
GPU_RECIPES = {
    "7B, 1 + 1 nodes": RECIPES / "Qwen2.5-Math-7B" / "grpo" / "config_r1_zero.yaml",
    "1.5B, 1 GPU": RECIPES / "Qwen2.5-Math-1.5B" / "grpo" / "config_r1_zero.yaml",
}
TINY_RECIPE = RECIPES / "tiny" / "grpo" / "config_r1_zero.yaml"
ALL_RECIPES = {**GPU_RECIPES, "tiny": TINY_RECIPE}
TEMPLATE = yaml.safe_load(GPU_RECIPES["7B, 1 + 1 nodes"].read_text())["chat_template"]
# The instruction shows the completion's shape after this phrase; the user turn follows it.
SHAPE_INTRO, USER_TURN, ASSISTANT_TURN = "exactly in this shape:\n", "\n\nUser: ", "\n\nAssistant: "


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_r1_zero_recipes_share_template_rewards_and_algorithm():
    """The tiny recipe runs what the GPU recipes run: same template, rewards and GRPO settings, only smaller."""
    for name, path in ALL_RECIPES.items():
        raw = _raw(path)
        assert raw["chat_template"] == TEMPLATE, f"{name}: the R1-Zero recipes must keep one identical template"
        # No system_prompt: the template carries the instruction, so a benchmark that sends only the question
        # still prompts the model the way it was trained.
        assert "system_prompt" not in raw, name
        assert raw["reward_funcs"] == ["accuracy", "format"] and raw["reward_weights"] == [1.0, 0.25], name
        assert not raw.get("format_think_prefilled", False), f"{name}: the template does not open <think>"
        assert raw["beta"] == 0.0 and raw["loss_type"] == "bnpo" and raw["lr_scheduler_type"] == "constant_with_warmup"
        assert raw["mask_truncated_completions"] is True, name
    for name, path in GPU_RECIPES.items():
        raw = _raw(path)
        assert raw["num_generations"] == 16 and raw["learning_rate"] == 1.0e-6 and raw["warmup_steps"] > 0, name
        assert raw["temperature"] == 1.0 and raw["use_vllm"] is True, name


STAGE_RECIPES = {**GPU_RECIPES, "SFT -> GRPO": RECIPES / "OpenR1-Distill-7B" / "grpo" / "config_math.yaml"}


@pytest.mark.parametrize("name", list(STAGE_RECIPES))
def test_recipe_check_passes_at_the_stated_process_count(name):
    """`make check-recipe RECIPE=... NUM_PROCESSES=N` (helper of issue 12), at the header's `Training processes`,
    and its batch line is the header's batch arithmetic."""
    path = STAGE_RECIPES[name]
    header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    processes = int(re.search(r"^# Training processes: (\d+)$", header, flags=re.MULTILINE).group(1))
    assert recipe_process_count(str(path)) == processes
    out = io.StringIO()
    status = check(TASK_CLASSES["grpo"], ["--config", str(path), "--num_processes", str(processes)], out=out)
    report = out.getvalue()
    assert status == 0, report
    assert f"OK: valid on {processes} process" in report
    batch = re.search(r"= (\d+) completions per step = (\d+) prompts x (\d+) generations", header)
    completions, prompts, generations = batch.groups()
    assert f"= {completions} completions" in report and f"= {prompts} prompts x {generations} generations" in report


@pytest.fixture(scope="module")
def tokenizer(tiny_world):
    return AutoTokenizer.from_pretrained(tiny_world / "model")


def _render(tokenizer, messages, **kwargs) -> str:
    return tokenizer.apply_chat_template(messages, chat_template=TEMPLATE, tokenize=False, **kwargs)


def _instruction(tokenizer) -> str:
    """The R1-Zero instruction the template puts before the first user turn."""
    return _render(tokenizer, [{"role": "user", "content": "Q"}]).split(USER_TURN, 1)[0]


def test_format_and_accuracy_rewards_accept_the_shape_the_template_asks_for(tokenizer):
    question = "What is 6 x 7?"
    prompt = _render(tokenizer, [{"role": "user", "content": f"  {question}\n"}], add_generation_prompt=True)
    assert prompt.endswith(USER_TURN + question + ASSISTANT_TURN), prompt[-200:]
    assert SHAPE_INTRO in prompt, "the instruction must show the completion's shape after 'exactly in this shape:'"
    shape = prompt.split(SHAPE_INTRO, 1)[1].split(USER_TURN, 1)[0]
    assert format_reward([shape]) == [1.0], f"the format reward rejects the template's own example: {shape!r}"

    # A completion written in that shape, with real reasoning and a boxed result: both rewards give it full marks.
    completion = shape.replace("reasoning process here", "6 x 7 = 42").replace(
        "answer here, with the final result in \\boxed{}", "The product is \\boxed{42}."
    )
    assert completion != shape
    assert format_reward([completion]) == [1.0]
    assert accuracy_reward([completion], solution=["42"]) == [1.0]
    assert accuracy_reward([completion], solution=["41"]) == [0.0]
    # What the model writes after the generation prompt is exactly what trl hands the rewards: the template adds
    # nothing around an assistant turn.
    conversation = [{"role": "user", "content": question}, {"role": "assistant", "content": completion}]
    assert _render(tokenizer, conversation) == prompt + completion

    # The shapes other R1-Zero templates asked for fail the format reward: the instruction must spell out the
    # newlines and tags the reward checks, or the policy is rewarded for something it was never asked to write.
    others = [
        "<think> 6 x 7 = 42 </think> The product is \\boxed{42}.",
        "<think>6 x 7 = 42</think><answer>\\boxed{42}</answer>",
        " " + completion,  # a leading space: the generation prompt already ends with one
    ]
    assert format_reward(others) == [0.0, 0.0, 0.0]


def test_a_system_message_replaces_the_instruction(tokenizer):
    prompt = _render(
        tokenizer,
        [{"role": "system", "content": "SYSTEM"}, {"role": "user", "content": "Q"}],
        add_generation_prompt=True,
    )
    assert prompt == "SYSTEM" + USER_TURN + "Q" + ASSISTANT_TURN


def test_tiny_r1_zero_prompts_fit_the_tiny_model(tiny_world, tokenizer):
    """Instruction + problem + completion stay within the tiny model's 512 positions (Qwen2.5-Math: 4k and 32k)."""
    raw = _raw(TINY_RECIPE)
    problems = [json.loads(line)["problem"] for line in (tiny_world / "grpo.jsonl").read_text().splitlines()]
    longest = max(problems, key=len)
    prompt = _render(tokenizer, [{"role": "user", "content": longest}], add_generation_prompt=True)
    length = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert length + raw["max_completion_length"] <= tokenizer.model_max_length == 512


@pytest.mark.slow
def test_tiny_r1_zero_trains_from_the_base_model_and_the_saved_model_evaluates(tiny_world, tmp_path):
    """Stage 2 on a CPU: GRPO from the untrained tiny model, then `make evaluate` (lighteval) on what it saved."""
    output_dir = tmp_path / "grpo_r1_zero"
    result = run_entry_point(
        "grpo.py",
        "--config",
        str(TINY_RECIPE.relative_to(REPO_ROOT)),
        *tiny_overrides(tiny_world, output_dir, "grpo"),
        timeout=900,  # ~20 s of CPU time; the margin is for a CI machine shared with other jobs
    )
    assert result.returncode == 0, result.stdout[-6000:]
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == _raw(TINY_RECIPE)["max_steps"]
    logged = [entry for entry in state["log_history"] if "reward" in entry]
    assert logged and all(
        "rewards/accuracy_reward/mean" in entry and "rewards/format_reward/mean" in entry for entry in logged
    )
    # The model keeps the template it was trained with, so whoever evaluates it prompts it the same way.
    saved = AutoTokenizer.from_pretrained(output_dir)
    assert saved.chat_template == TEMPLATE

    # `make evaluate` (scripts/evaluate.sh) on a CPU, with held-out tiny problems in MATH-500's columns as the local
    # copy (DATA_DIR): a random base model scores ~0; the run proves the evaluation path and its prompts.
    data_dir = tmp_path / "benchmarks"
    data_dir.mkdir()
    held_out = (tiny_world / "grpo.jsonl").read_text().splitlines()[-2:]
    (data_dir / "math500.jsonl").write_text("\n".join(held_out) + "\n")
    evals = tmp_path / "evals"
    env = {
        **entry_point_env(),
        "PYTHON": sys.executable,
        "MODEL": str(output_dir),
        "TASK": "math_500",
        "BACKEND": "accelerate",
        "DATA_DIR": str(data_dir),
        "NUM_SAMPLES": "1",
        "MAX_NEW_TOKENS": "16",
        "MAX_MODEL_LENGTH": "2048",  # lighteval's MATH instruction + the R1-Zero one exceed the tiny model's 512
        "OUTPUT_DIR": str(evals),
    }
    result = run_command(["bash", "scripts/evaluate.sh"], env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:]
    (results_file,) = evals.glob("results_*.json")
    score = json.loads(results_file.read_text())["results"]["open_r1:math_500|0"]["pass@k:k=1&n=1"]
    assert 0.0 <= score <= 1.0

    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import upload_details
    finally:
        sys.path.pop(0)
    (details_file,) = evals.glob("details/**/details_*.parquet")
    details = upload_details.load_details([str(details_file)])["train"]
    assert details.num_rows == 2
    for row in details:
        prompt = saved.decode(row["model_response"]["input_tokens"])
        # The benchmark's question went through the R1-Zero template: instruction first, ending with the turn
        # the model was trained to continue.
        assert prompt.startswith(_instruction(saved)) and prompt.endswith(ASSISTANT_TURN), prompt
        assert USER_TURN + "Solve the following math problem" in prompt
