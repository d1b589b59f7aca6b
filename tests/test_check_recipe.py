"""The recipe check a user runs on a laptop before queueing a job: right verdict for the GPU count, no model loaded.

The verdicts come from trl's own GRPOConfig checks, run for the requested number of processes; these tests pin
that the count reaches trl (a recipe valid on 7 GPUs fails on 1, and the other way round), that the report says
what the run will do, and that the commands users type (`grpo.py --check`, `python -m open_r1.check_recipe`) work.
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from open_r1.check_recipe import TASK_CLASSES, check, main, recipe_process_count


REPO_ROOT = Path(__file__).resolve().parent.parent

# open-r1's GRPO demo of February 2025: 16 completions per device x 16 accumulation steps, groups of 7, written for
# 7 training GPUs (the 8th served vLLM). 16 x 16 x 7 = 1792 = 256 groups of 7; on 1 GPU, 256 is no multiple of 7.
DEMO_2025 = {
    "model_name_or_path": "Qwen/Qwen2.5-1.5B-Instruct",
    "dataset_name": "AI-MO/NuminaMath-TIR",
    "bf16": True,
    "use_vllm": True,
    "gradient_accumulation_steps": 16,
    "per_device_train_batch_size": 16,
    "per_device_eval_batch_size": 16,
    "num_generations": 7,
    "learning_rate": 2.0e-5,
    "reward_funcs": ["accuracy", "format"],
    "output_dir": "data/demo",
}


def _recipe(tmp_path, name="config_demo.yaml", header="", **options) -> str:
    folder = tmp_path / "Model" / "grpo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(header + yaml.safe_dump(options))
    return str(path)


def _check(*argv, task="grpo") -> tuple[int, str]:
    out = io.StringIO()
    status = check(TASK_CLASSES[task], list(argv), out=out)
    return status, out.getvalue()


def test_a_recipe_valid_on_7_gpus_fails_on_1_and_says_where_it_fits(tmp_path):
    recipe = _recipe(tmp_path, **DEMO_2025)

    status, report = _check("--config", recipe, "--num_processes", "7")
    assert status == 0, report
    assert "OK: valid on 7 processes" in report
    # The batch a user plans the cluster with: completions and prompts per optimizer step, totals and per process.
    assert "= 1792 completions (256 per process) = 256 prompts x 7 generations;" in report
    assert "36.57 prompts per process (trl gathers each group's rewards" in report  # 256 is no multiple of 7
    assert "generation_batch_size: 1792" in report

    status, report = _check("--config", recipe, "--num_processes", "1")
    assert status == 1
    assert "FAILED on 1 process:" in report
    assert "divisible by num_generations (7)" in report.splitlines()[-2]
    assert "valid on 7, 14 processes" in report.splitlines()[-1]


def test_a_fixed_generation_batch_valid_on_1_gpu_fails_on_7(tmp_path):
    """The reverse: a recipe tuned on one GPU whose fixed generation batch cannot be spread over 7."""
    recipe = _recipe(
        tmp_path, **{**DEMO_2025, "per_device_train_batch_size": 8, "generation_batch_size": 8, "num_generations": 4}
    )

    assert _check("--config", recipe, "--num_processes", "1")[0] == 0
    status, report = _check("--config", recipe, "--num_processes", "7")
    assert status == 1
    assert "generation_batch_size (8) must be divisible by the global batch size (56)" in report


def test_eval_batch_is_checked_for_the_process_count(tmp_path):
    recipe = _recipe(
        tmp_path,
        **{**DEMO_2025, "do_eval": True, "eval_strategy": "steps", "eval_steps": 10, "per_device_eval_batch_size": 3},
    )
    status, report = _check("--config", recipe, "--num_processes", "7")
    assert status == 0 and "per eval batch: 3 per device x 7 processes = 21 completions = 3 prompts" in report
    status, report = _check("--config", recipe, "--num_processes", "2")
    assert status == 1 and "global eval batch size (3 * 2)" in report


def test_command_line_options_after_the_recipe_are_checked_too(tmp_path):
    recipe = _recipe(tmp_path, **DEMO_2025)
    status, report = _check("--config", recipe, "--num_processes", "7", "--num_generations", "6")
    assert status == 1 and "generation_batch_size (1792) must be divisible by num_generations (6)" in report


def test_the_process_count_defaults_to_what_the_recipe_states(tmp_path):
    legacy = _recipe(tmp_path, "config_legacy.yaml", **DEMO_2025, num_processes=7)
    headed = _recipe(tmp_path, "config_headed.yaml", header="# Training processes: 7\n", **DEMO_2025)
    silent = _recipe(tmp_path, "config_silent.yaml", **DEMO_2025)
    assert recipe_process_count(legacy) == recipe_process_count(headed) == 7
    assert _check("--config", legacy)[0] == 0
    assert _check("--config", headed)[0] == 0
    status, report = _check("--config", silent)
    assert status == 1 and "Pass --num_processes N" in report
    # An explicit count wins over the stated one, and the report says they differ.
    status, report = _check(f"--config={headed}", "--num_processes", "14")
    assert status == 0 and "The recipe states 7 training processes; it was checked for 14." in report


def test_report_lists_changed_options_and_every_warning(tmp_path):
    recipe = _recipe(tmp_path, **DEMO_2025, max_prompt_length=512, overwrite_output_dir=True, num_processes=7)
    status, report = _check("--config", recipe)
    assert status == 0, report
    options = report.split("Options that differ from the defaults:")[1].split("Batch on")[0]
    assert "  max_prompt_tokens: 512\n" in options and "  num_generations: 7\n" in options
    # What the recipe asks for, not what this GPU-less machine would turn it into.
    assert "  bf16: True\n" in options
    # Untouched options are not listed (the list is what the recipe changes, not all 300 options).
    assert "beta:" not in options and "seed:" not in options
    warnings = report.split("Warnings (")[1]
    assert warnings.startswith("3):")
    assert "`max_prompt_length` is a legacy name, read as `max_prompt_tokens`" in warnings
    assert "`overwrite_output_dir` is ignored" in warnings
    assert "`num_processes` is ignored: the launcher decides it: `accelerate launch --num_processes N`" in warnings


@pytest.mark.parametrize(
    "options, message",
    [
        ({"reward_funcs": ["acuracy", "format"]}, "acuracy"),
        ({"reward_weights": [1.0]}, "`reward_weights` has 1 values"),
        ({"learnig_rate": 1e-6}, "learnig_rate (did you mean learning_rate?)"),
        ({"benchmarks": ["aime2024"]}, "Unknown benchmark"),
        ({"dataset_mixture": {"datasets": [{"id": "a", "weight": 2}]}}, "must lie in (0, 1]"),
    ],
    ids=["reward-name", "reward-weights", "typo", "benchmark", "mixture"],
)
def test_recipe_mistakes_fail_the_check_with_the_reason_last(tmp_path, options, message):
    status, report = _check("--config", _recipe(tmp_path, **{**DEMO_2025, **options}), "--num_processes", "7")
    assert status == 1
    failure = report[report.index("FAILED on 7 processes:") :]
    assert message in failure


def test_benchmark_names_of_open_r1_recipes_are_read_as_todays(tmp_path):
    recipe = _recipe(tmp_path, **DEMO_2025, benchmarks=["aime24", "gpqa", "lcb_v4"])
    status, report = _check("--config", recipe, "--num_processes", "7")
    assert status == 0, report
    assert "  benchmarks: ['aime24', 'gpqa', 'lcb']\n" in report
    assert "Benchmark `lcb_v4` is a legacy name, read as `lcb`" in report
    # A name that never existed is still refused, with the closest one.
    status, report = _check("--config", _recipe(tmp_path, **DEMO_2025, benchmarks=["lcb_v04"]), "--num_processes", "7")
    assert status == 1 and "`lcb_v04`: did you mean `lcb_v4`?" in report


def test_sft_recipe_reports_sequences_per_step(tmp_path):
    recipe = tmp_path / "config.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "model_name_or_path": "Qwen/Qwen2.5-1.5B-Instruct",
                "dataset_name": "open-r1/Mixture-of-Thoughts",
                "per_device_train_batch_size": 2,
                "gradient_accumulation_steps": 8,
                "packing": True,
                "max_length": 32768,
                "learning_rate": 4e-5,
            }
        )
    )
    status, report = _check("--config", str(recipe), "--num_processes", "8", task="sft")
    assert status == 0, report
    assert "2 per device x 8 accumulation steps x 8 processes = 128 sequences (16 per process)" in report
    assert "packed: up to 4194304 tokens per optimizer step" in report


def test_the_entry_point_is_taken_from_the_recipe_folder_or_asked_for(tmp_path, capsys):
    assert main(["--config", _recipe(tmp_path, **DEMO_2025), "--num_processes", "7"]) == 0
    # Outside recipes/<model>/<task>/, a recipe with rewards (or num_generations) can only be a GRPO one.
    elsewhere = tmp_path / "recipe.yaml"
    elsewhere.write_text(yaml.safe_dump(DEMO_2025))
    assert main(["--config", str(elsewhere), "--num_processes", "7"]) == 0
    assert "for src/open_r1/grpo.py on 7 processes" in capsys.readouterr().out
    # One that sets no option of either's own is asked about.
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({"model_name_or_path": "Qwen/Qwen2.5-1.5B-Instruct", "learning_rate": 1e-5}))
    assert main(["--config", str(plain), "--num_processes", "7"]) == 1
    assert "--task sft or --task grpo" in capsys.readouterr().out
    assert main(["--config", str(plain), "--num_processes", "7", "--task", "sft", "--dataset_name", "x"]) == 0


def test_a_missing_or_broken_recipe_is_one_line_naming_the_file(tmp_path, capsys):
    """check-recipe crashed on a YAML error (a PyYAML traceback naming "<unicode string>")."""
    broken = tmp_path / "grpo" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text("model_name_or_path: data/tiny/model\nreward_funcs: [accuracy\nlearning_rate: 1\n")
    assert main(["--config", str(broken), "--num_processes", "1"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"Recipe check: FAILED: Recipe {broken} is not valid YAML: line 3, column 14: expected ',' or ']', but got "
        "':' (while parsing a flow sequence that starts at line 2, column 15)."
    ]
    (tmp_path / "grpo" / "config_demo.yaml").write_text("learning_rate: 1\n")
    assert main(["--config", str(tmp_path / "grpo" / "config_dem.yaml"), "--num_processes", "1"]) == 1
    assert capsys.readouterr().out.strip().endswith(f"Did you mean {tmp_path / 'grpo' / 'config_demo.yaml'}?")


@pytest.mark.slow
def test_grpo_entry_point_checks_and_exits_with_the_verdict(tmp_path):
    """`grpo.py --check` as users type it, in a process: the report, exit status 1, and no training started."""
    recipe = _recipe(tmp_path, **DEMO_2025)
    result = subprocess.run(
        [sys.executable, "src/open_r1/grpo.py", "--config", recipe, "--check", "--num_processes", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT / "src"), "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED on 1 process" in result.stdout and "valid on 7, 14 processes" in result.stdout


@pytest.mark.slow
def test_train_slurm_stops_before_training_when_the_recipe_does_not_fit(tmp_path):
    """slurm/train.slurm for real (not a dry run) with stand-ins for srun/scontrol: the check fails the job at once."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launched = tmp_path / "srun.log"
    (bin_dir / "srun").write_text(f'#!/bin/bash\necho "$*" >> {launched}\n')
    (bin_dir / "scontrol").write_text('#!/bin/bash\ntr "," "\\n" <<<"$4"\n')  # scontrol show hostnames a,b
    for tool in ("srun", "scontrol"):
        (bin_dir / tool).chmod(0o755)
    result = subprocess.run(
        ["bash", "slurm/train.slurm", "--model", "Qwen2.5-1.5B-Instruct", "--task", "grpo", "--config", "demo"]
        + ["--accelerator", "zero2", "--args", "--num_generations 5"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": str(REPO_ROOT / "src"),
            "HF_HUB_OFFLINE": "1",
            "SLURM_NNODES": "1",
            "SLURM_JOB_NODELIST": "gpu-1",
            "OPEN_R1_VENV": sys.prefix,
        },
        timeout=600,
    )
    assert result.returncode != 0
    assert "FAILED on 7 processes" in result.stdout and "divisible by num_generations (5)" in result.stdout
    # vLLM's server had been started in the background; the training step never was.
    srun_calls = launched.read_text().splitlines() if launched.exists() else []
    assert not any("accelerate launch" in call for call in srun_calls), srun_calls


def _shipped_checks():
    """(recipe, process count): the count the header states, or 1 and 2 for the CPU recipes (tiny/, demo/)."""
    checks = []
    for path in sorted((REPO_ROOT / "recipes").glob("*/*/config_*.yaml")):
        if path.parent.name in TASK_CLASSES:
            counts = [recipe_process_count(str(path))] if path.parents[1].name not in ("tiny", "demo") else [1, 2]
            checks += [(path, count) for count in counts]
    return checks


SHIPPED = _shipped_checks()


@pytest.mark.parametrize(
    "path, processes", SHIPPED, ids=[f"{p.relative_to(REPO_ROOT / 'recipes').as_posix()}@{n}" for p, n in SHIPPED]
)
def test_shipped_recipes_pass_the_check(path, processes):
    """What the README tells users to run, on the project's own recipes: no false alarm, no legacy name."""
    assert processes, f"{path.name} states no `# Training processes: N`"
    out = io.StringIO()
    status = check(TASK_CLASSES[path.parent.name], ["--config", str(path), "--num_processes", str(processes)], out=out)
    assert status == 0, out.getvalue()
    assert "legacy name" not in out.getvalue() and "is ignored" not in out.getvalue(), out.getvalue()


def test_an_unreadable_recipe_fails_before_torch_loads(tmp_path, env_without_torch):
    """`make check-recipe` with a misspelt recipe used to import torch and trl first (10-30 s) before saying so;
    torch's import fails here, so the one line below shows nothing imported it."""
    result = subprocess.run(
        [sys.executable, "-m", "open_r1.check_recipe", "--config", "recipes/tiny/grpo/config_dem.yaml"],
        cwd=REPO_ROOT,
        env=env_without_torch,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).strip().splitlines() == [
        "Recipe check: FAILED: Recipe recipes/tiny/grpo/config_dem.yaml does not exist (passed with --config). "
        "Did you mean recipes/tiny/grpo/config_demo.yaml?"
    ]
