"""Evaluation: the benchmark tasks score right answers right, run offline on local data, and launch as users do.

Benchmark data is the copy shipped in the package (open_r1.benchmark_data: math500.jsonl, aime24.jsonl,
aime25.jsonl); GPQA and LiveCodeBench have no local copy, so their prompts and metrics are checked on handmade rows in the hub's shape.
"""

import base64
import csv
import itertools
import json
import os
import pickle
import shlex
import subprocess
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import REPO_ROOT, entry_point_env
from lighteval.models.model_output import ModelResponse
from lighteval.models.transformers.transformers_model import TransformersModelConfig
from lighteval.tasks.lighteval_task import LightevalTask
from lighteval.tasks.registry import Registry

from open_r1 import benchmark_data, evaluate
from open_r1.utils import evaluation
from open_r1.utils.served_model import LiteLLMModelConfig


sys.path.insert(0, str(REPO_ROOT / "scripts"))
import summarize_evals  # noqa: E402
import upload_details  # noqa: E402


DATA_DIR = benchmark_data.DATA_DIR
LOCAL_FILES = {"math_500": "math500.jsonl", "aime24": "aime24.jsonl", "aime25": "aime25.jsonl"}
PUBLISHED_N = {"math_500": 4, "aime24": 64, "aime25": 64, "gpqa:diamond": 8, "lcb:codegeneration": 16}


def tasks_by_name(**overrides) -> dict:
    return {config.name.removeprefix("open_r1:"): config for config in evaluate.build_tasks(**overrides)}


def first_row(task: str) -> dict:
    return benchmark_data.rows(LOCAL_FILES[task])[0]


def score(config, row: dict, predictions: list[str]) -> float:
    doc = config.prompt_function(row, config.name)
    (metric,) = config.metrics
    (value,) = metric.compute_sample(doc=doc, model_response=ModelResponse(text=predictions)).values()
    return float(value)


def boxed(answer) -> str:
    return f"<think>Some steps.</think>Therefore, the final answer is: $\\boxed{{{answer}}}$. I hope it is correct"


GPQA_ROW = {
    "Question": "Which particle mediates the electromagnetic force?",
    "Correct Answer": "Photon",
    "Incorrect Answer 1": "Gluon",
    "Incorrect Answer 2": "W boson",
    "Incorrect Answer 3": "Graviton",
}


def lcb_row() -> dict:
    """A LiveCodeBench row in the hub's shape: stdin tests, private ones base64(zlib(pickle(json)))."""
    public = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    private = [{"input": "40 2\n", "output": "42\n", "testtype": "stdin"}]
    encoded = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(private)))).decode()
    return {
        "question_content": "Read two integers a and b from one line and print a + b.",
        "starter_code": "",
        "public_test_cases": json.dumps(public),
        "private_test_cases": encoded,
        "metadata": "{}",
    }


LCB_RIGHT = "Reading both numbers.\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
LCB_WRONG = "```python\na, b = map(int, input().split())\nprint(a - b)\n```"


# --- metrics ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["math_500", "aime24", "aime25"])
def test_math_metric_scores_the_reference_answer_right_and_another_wrong(task):
    config = tasks_by_name(num_samples=1)[task]
    row = first_row(task)
    assert score(config, row, [boxed(row["answer"])]) == 1.0
    assert score(config, row, [boxed(999999)]) == 0.0
    assert score(config, row, ["I do not know."]) == 0.0


def test_math_metric_reads_equivalent_forms_of_an_answer():
    config = tasks_by_name(num_samples=1)["aime24"]
    row = first_row("aime24")  # answer "204"
    assert score(config, row, [boxed("204.0")]) == 1.0
    zero_padded = next(row for row in benchmark_data.rows("aime24.jsonl") if row["answer"] == "025")
    assert score(config, zero_padded, [boxed(25)]) == 1.0  # the copy stores "025"; the answer is 25


@pytest.mark.parametrize("task", ["math_500", "aime24"])
def test_pass_at_1_is_the_mean_over_the_n_samples(task):
    config = tasks_by_name(num_samples=4)[task]
    row = first_row(task)
    right, wrong = boxed(row["answer"]), boxed(999999)
    assert score(config, row, [right, wrong, wrong, wrong]) == pytest.approx(0.25)
    assert score(config, row, [right, right, right, wrong]) == pytest.approx(0.75)


def test_gpqa_metric_needs_the_right_letter_after_an_anchor():
    config = tasks_by_name(num_samples=2)["gpqa:diamond"]
    doc = config.prompt_function(GPQA_ROW, config.name)
    right = "ABCD"[doc.gold_index]
    wrong = "ABCD"[(doc.gold_index + 1) % 4]
    assert f"{right}) Photon" in doc.query  # the right answer sits at the gold letter
    assert score(config, GPQA_ROW, [f"Photons carry it.\nAnswer: {right}"] * 2) == 1.0
    assert score(config, GPQA_ROW, [f"Answer: {right}", f"Answer: {wrong}"]) == pytest.approx(0.5)
    assert score(config, GPQA_ROW, [f"Answer: {wrong}"] * 2) == 0.0
    # a letter needs an anchor ("Answer:", or a line of its own): mid-sentence it is not an answer
    assert score(config, GPQA_ROW, [f"Photons, so I pick {right} over the rest"] * 2) == 0.0


def test_gpqa_prompt_is_reproducible():
    config = tasks_by_name()["gpqa:diamond"]
    docs = [config.prompt_function(GPQA_ROW, config.name) for _ in range(5)]
    assert len({(doc.query, doc.gold_index) for doc in docs}) == 1


def test_lcb_metric_runs_the_code_against_the_tests():
    config = tasks_by_name(num_samples=2)["lcb:codegeneration"]
    assert score(config, lcb_row(), [LCB_RIGHT, LCB_RIGHT]) == 1.0
    assert score(config, lcb_row(), [LCB_RIGHT, LCB_WRONG]) == pytest.approx(0.5)
    assert score(config, lcb_row(), [LCB_WRONG, "no code at all"]) == 0.0


# --- task definitions ---------------------------------------------------------------------------------------------


def test_published_protocol_is_the_default():
    tasks = tasks_by_name()
    assert set(tasks) == set(PUBLISHED_N)
    for name, config in tasks.items():
        (metric,) = config.metrics
        assert metric.metric_name.endswith(f"k=1&n={PUBLISHED_N[name]}"), metric.metric_name
        assert config.generation_size == 32768
        assert not os.path.exists(config.hf_repo), "hub ids are the default"
        # lighteval generates as many samples per problem as the metric needs
        assert max(LightevalTask(config).num_samples) == PUBLISHED_N[name]


def test_overrides_change_n_and_budget_and_say_so():
    tasks = tasks_by_name(num_samples=2, max_new_tokens=64)
    for config in tasks.values():
        assert config.metrics[0].metric_name.endswith("n=2")
        assert config.generation_size == 64
        assert max(LightevalTask(config).num_samples) == 2
    with pytest.raises(ValueError, match="num_samples"):
        evaluate.build_tasks(num_samples=0)


def test_local_data_replaces_the_hub_for_the_maths_tasks():
    tasks = tasks_by_name(data_dir=str(DATA_DIR))
    expected_rows = {"math_500": 500, "aime24": 30, "aime25": 30}
    for name, rows in expected_rows.items():
        task = LightevalTask(tasks[name])
        docs = task.eval_docs()
        assert len(docs) == rows
        assert all(isinstance(doc.choices[0], str) and doc.choices[0] for doc in docs)
    assert tasks["gpqa:diamond"].hf_repo == "Idavidrein/gpqa"  # no local copy: stays on the hub


def test_each_benchmark_reads_the_first_folder_holding_its_file_else_the_hub(tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    (own / "aime24.jsonl").write_text(json.dumps({"problem": "What is 2 + 2?", "answer": "4"}) + "\n")
    with open(own / "gpqa_diamond.csv", "w", newline="") as f:  # the hub repo's own file and columns
        writer = csv.DictWriter(f, fieldnames=list(GPQA_ROW))
        writer.writeheader()
        writer.writerow(GPQA_ROW)
    (own / "lcb_codegeneration.jsonl").write_text(json.dumps(lcb_row()) + "\n")
    tasks = tasks_by_name(data_dir=f"{own}{os.pathsep}{DATA_DIR}")
    assert tasks["aime24"].hf_repo == str(own / "aime24.jsonl")  # the first folder wins
    assert tasks["aime25"].hf_repo == str(DATA_DIR / "aime25.jsonl")
    (aime,) = LightevalTask(tasks["aime24"]).eval_docs()
    assert "2 + 2" in aime.query and aime.choices == ["4"]
    (gpqa,) = LightevalTask(tasks["gpqa:diamond"]).eval_docs()
    assert "Photon" in gpqa.query
    (lcb,) = LightevalTask(tasks["lcb:codegeneration"]).eval_docs()
    assert "a + b" in lcb.query
    empty = tasks_by_name(data_dir=str(tmp_path / "nothing here"))
    assert empty["aime24"].hf_repo == "HuggingFaceH4/aime_2024"  # no file anywhere: the hub


def test_offline_the_shipped_copies_serve_the_maths_benchmarks_with_one_warning(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "offline" in evaluation.hub_access("HuggingFaceH4/aime_2024")
    folders, warnings = evaluation.resolve_data(["math_500", "aime24", "aime25"])
    assert folders == [str(DATA_DIR)]
    (warning,) = warnings
    assert "offline" in warning and "math_500, aime24, aime25" in warning and "shipped" in warning


def test_a_benchmark_without_a_shipped_copy_fails_naming_both_fixes(tmp_path):
    def gated(hub_id):
        return f"{hub_id} is gated and this machine is not logged in with access to it"

    with pytest.raises(evaluation.BenchmarkDataUnavailable) as error:
        evaluation.resolve_data(["aime24", "gpqa"], probe=gated)
    message = str(error.value)
    assert "\n" not in message and "gpqa" in message and "gated" in message
    assert "log in" in message and "DATA_DIR" in message and "gpqa_diamond.csv" in message
    with pytest.raises(evaluation.BenchmarkDataUnavailable, match="lcb.*hub can be reached.*lcb_codegeneration.jsonl"):
        evaluation.resolve_data(["lcb"], probe=lambda hub_id: "the hub cannot be reached (ConnectError)")
    (tmp_path / "lcb_codegeneration.jsonl").write_text(json.dumps(lcb_row()) + "\n")
    probed = []
    folders, warnings = evaluation.resolve_data(["lcb"], str(tmp_path), probe=probed.append)
    assert folders == [str(tmp_path)] and warnings == [] and probed == []  # DATA_DIR's file: no hub needed


def test_lighteval_registry_loads_every_benchmark_by_its_spec(monkeypatch):
    # as the launcher runs it: open-r1's tasks only (lighteval's built-ins download at import)
    monkeypatch.setattr(Registry, "_load_from_files", staticmethod(evaluate._no_builtin_tasks))
    monkeypatch.setattr(Registry, "_load_from_subdirs", staticmethod(evaluate._no_builtin_tasks))
    registry = Registry(tasks=",".join(evaluation.LIGHTEVAL_TASKS.values()), custom_tasks=evaluate)
    loaded = registry.load_tasks()
    assert sorted(loaded) == sorted(evaluation.LIGHTEVAL_TASKS.values())


def test_no_builtin_lighteval_task_uses_our_prefix():
    # lighteval refuses a custom task named like a built-in one; ours are all `open_r1:...`
    tasks_dir = Path(sys.modules["lighteval.tasks.lighteval_task"].__file__).parent / "tasks"
    assert len(list(tasks_dir.rglob("*.py"))) > 50
    offenders = [path for path in tasks_dir.rglob("*.py") if 'name="open_r1' in path.read_text()]
    assert not offenders


# --- benchmark names and launch -----------------------------------------------------------------------------------


def test_benchmark_names_resolve_and_unknown_ones_fail_listing_the_known():
    assert evaluation.resolve_benchmarks(["all"]) == list(evaluation.LIGHTEVAL_TASKS)
    assert evaluation.resolve_benchmarks("aime24, math_500,aime24") == ["aime24", "math_500"]
    with pytest.raises(ValueError, match=r"\['aime2024'\].*math_500, aime24, aime25, gpqa, lcb"):
        evaluation.resolve_benchmarks(["aime2024"])


SERVER_URL = "http://127.0.0.1:8000/v1"


def test_model_args_are_well_formed_whatever_is_unset():
    options = itertools.product(["vllm", "accelerate"], ["data", "tensor"], [1, 4], [None, "v01"], [None, "float32"])
    for backend, parallel, num_gpus, revision, dtype in options:
        for max_model_length, batch_size in [(None, None), (4096, 2)]:
            command = evaluation.lighteval_command(
                model="org/model",
                tasks="aime24",
                backend=backend,
                parallel=parallel,
                num_gpus=num_gpus,
                revision=revision,
                dtype=dtype,
                max_model_length=max_model_length,
                batch_size=batch_size,
                server_url=SERVER_URL if backend == "vllm" else None,
            )
            backend_args = ["endpoint", "litellm"] if backend == "vllm" else ["accelerate"]
            start = command.index(evaluation.CUSTOM_TASKS_FILE) + 1  # after the launcher (accelerate launch or python)
            assert command[start : start + len(backend_args)] == backend_args
            model_args, task_spec = command[start + len(backend_args) : start + len(backend_args) + 2]
            assert ",," not in model_args and not model_args.startswith(",") and not model_args.endswith(",")
            parsed = TransformersModelConfig.__base__._parse_args(model_args)
            config_class = LiteLLMModelConfig if backend == "vllm" else TransformersModelConfig
            config = config_class(**parsed)  # pydantic, extra="forbid": a stray or empty key fails here
            assert config.model_name == "org/model"
            assert (config.generation_parameters.temperature, config.generation_parameters.top_p) == (0.6, 0.95)
            if backend == "vllm":
                # The server decides revision, dtype and GPUs; the client needs its address and its context.
                assert config.provider == "hosted_vllm" and config.base_url == SERVER_URL
                assert config.max_model_length == max_model_length
                assert config.concurrent_requests == 64 * (num_gpus if parallel == "data" else 1)
            else:
                assert config.revision == (revision or "main")
            assert task_spec == "open_r1:aime24|0"


def test_lighteval_runs_leave_no_litellm_disk_cache_behind(tmp_path):
    """lighteval turns on litellm's disk cache, keyed by the model's name, in the working directory at import: a
    retrained model would get its predecessor's answers. Our launcher's import leaves it off and writes nothing."""
    code = (
        "import sys; sys.argv = ['evaluate.py']\n"
        "import evaluate, litellm\n"
        "evaluate._serve_litellm_models_with_our_client()\n"
        "from lighteval.models import model_loader\n"
        "print(litellm.cache, model_loader.LiteLLMClient.__name__)\n"
    )
    env = {**entry_point_env(), "PYTHONPATH": f"{REPO_ROOT / 'src' / 'open_r1'}{os.pathsep}{REPO_ROOT / 'src'}"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["None", "ServedModelClient"]
    assert list(tmp_path.iterdir()) == []


def test_the_vllm_backend_needs_its_server():
    with pytest.raises(ValueError, match="server_url"):
        evaluation.lighteval_command(model="org/model", tasks="aime24")


def test_model_args_refuse_a_comma_instead_of_evaluating_something_else():
    with pytest.raises(ValueError, match="cannot hold"):
        evaluation.lighteval_command(model="/data/runs/a,b", tasks="aime24", server_url=SERVER_URL)


def test_evaluate_script_with_only_model_and_task_set():
    env = {key: value for key, value in entry_point_env().items() if key not in ("BACKEND", "NUM_GPUS", "DATA_DIR")}
    env.update(MODEL="org/model", TASK="aime24,math_500", DRY_RUN="1")
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    server_line, lighteval_line = result.stdout.strip().splitlines()[-2:]
    server = shlex.split(server_line)
    assert server[1:5] == ["-m", "open_r1.utils.vllm_runtime", "serve", "org/model"]
    port = server[server.index("--port") + 1]
    words = shlex.split(lighteval_line)
    variables, command = words[:1], words[1:]
    assert variables == [f"OPEN_R1_EVAL_DATA_DIR={DATA_DIR}"]  # tests run offline: the shipped copies
    assert command[1:4] == ["src/open_r1/evaluate.py", "endpoint", "litellm"]
    assert f"base_url=http://127.0.0.1:{port}/v1" in command[4] and ",," not in command[4]
    assert command[5] == "open_r1:aime24|0,open_r1:math_500|0"
    assert command[command.index("--output-dir") + 1] == "data/evals/org/model"


def test_evaluate_script_offline_without_data_fails_in_one_line_before_lighteval():
    env = {**entry_point_env(), "MODEL": "org/model", "TASK": "aime24,gpqa", "BACKEND": "accelerate"}
    env.pop("DATA_DIR", None)
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: gpqa has no data: offline mode is on") and "hf auth login" in line, line


def test_a_mistyped_model_folder_is_one_line_naming_the_folder_before_anything_starts(tiny_world):
    env = {**entry_point_env(), "MODEL": str(tiny_world / "modell"), "TASK": "aime24"}
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line == f"error: Model folder {tiny_world / 'modell'} does not exist. Did you mean {tiny_world / 'model'}?"


def test_prompts_cut_to_fit_the_context_get_one_warning_line(tiny_world, tmp_path, capsys):
    """lighteval's transformers backend cuts a prompt that does not fit and leaves its batch one new token, silently;
    `make evaluate` counts each prompt again and says so after the run."""
    from datasets import Dataset
    from transformers import AutoTokenizer

    model = str(tiny_world / "model")
    tokenizer = AutoTokenizer.from_pretrained(model)
    queries = ["What is 2 + 3?", "What is 7 + 1 - 5? " * 20, "What is 4 + 4?"]
    lengths = [
        len(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": q}], add_generation_prompt=True, return_dict=False
            )
        )
        for q in queries
    ]
    kept = [lengths[0], lengths[1] - 37, lengths[2]]  # the second lost 37 tokens; the others are whole (padded)
    padding = [5, 0, 3]
    rows = [
        {"doc": {"query": q}, "model_response": {"input_tokens": [0] * (k + p), "padded_tokens_count": p}}
        for q, k, p in zip(queries, kept, padding)
    ]
    folder = tmp_path / "details" / "2026-12-06T00-00-00"
    folder.mkdir(parents=True)
    Dataset.from_list(rows).to_parquet(str(folder / "details_open_r1:math_500|0_2026.parquet"))
    capsys.readouterr()  # datasets' progress bar
    assert evaluation.warn_about_cut_prompts(str(tmp_path), since=0, model=model) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("warning: 1 of 3 prompts were cut to fit the context (by up to 37 tokens)")
    assert "MAX_MODEL_LENGTH" in line
    # Details of an earlier run are not this run's: no warning.
    assert evaluation.warn_about_cut_prompts(str(tmp_path), since=time.time() + 60, model=model) == 0
    assert capsys.readouterr().err == ""


def test_evaluate_script_names_the_known_tasks_on_a_typo():
    env = {**entry_point_env(), "MODEL": "org/model", "TASK": "aime", "DRY_RUN": "1"}
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "math_500, aime24, aime25, gpqa, lcb" in result.stderr


FAKE_SBATCH = """#!/bin/bash
# Records each call: its arguments, one per line, and the variables a job would inherit.
n=$(ls "$RECORD_DIR" | grep -c args)
printf '%s\\n' "$@" > "$RECORD_DIR/call_$n.args"
env > "$RECORD_DIR/call_$n.env"
echo "Submitted batch job $((1000 + n))"
"""


@pytest.fixture
def fake_sbatch(tmp_path, monkeypatch):
    bin_dir, record_dir = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    record_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(FAKE_SBATCH)
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RECORD_DIR", str(record_dir))

    def calls() -> list[tuple[list[str], str]]:
        files = sorted(record_dir.glob("call_*.args"), key=lambda path: int(path.stem.split("_")[1]))
        return [(path.read_text().splitlines(), path.with_suffix(".env").read_text()) for path in files]

    return calls


def test_run_benchmark_jobs_submits_one_job_per_benchmark(fake_sbatch, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")  # we are inside a training job
    monkeypatch.setenv("WORLD_SIZE", "16")
    system_prompt = "You are 'helpful'.\nThink, then answer: $x \\boxed{}"
    training_args = SimpleNamespace(
        benchmarks=["aime24", "gpqa"],
        hub_model_id="org/Qwen2.5-32B-Open-R1",
        hub_model_revision="v01.00-step-000000100",
        system_prompt=system_prompt,
    )
    assert evaluation.is_slurm_available()
    evaluation.run_benchmark_jobs(training_args, SimpleNamespace(trust_remote_code=False))

    calls = fake_sbatch()
    assert len(calls) == 2
    (args, env), (gpqa_args, _) = calls
    job_name, script, name, spec, model, revision, tensor_parallel, trust_remote_code, prompt = args
    assert script == "slurm/evaluate.slurm" and job_name.startswith("--job-name=or1_aime24_Qwen2.5-32B-Open-R1")
    assert (name, spec, model, revision) == (
        "aime24",
        "open_r1:aime24|0",
        "org/Qwen2.5-32B-Open-R1",
        training_args.hub_model_revision,
    )
    assert (tensor_parallel, trust_remote_code) == ("True", "False")  # 32B: sharded over the GPUs
    assert base64.b64decode(prompt).decode() == system_prompt
    assert gpqa_args[2:4] == ["gpqa", "open_r1:gpqa:diamond|0"]
    assert "SLURM_JOB_ID=" not in env and "WORLD_SIZE=" not in env  # the training job's settings stay behind
    assert "PATH=" in env


def test_run_benchmark_jobs_checks_every_name_before_submitting(fake_sbatch):
    training_args = SimpleNamespace(
        benchmarks=["aime24", "mmlu"], hub_model_id="org/m-7B", hub_model_revision="main", system_prompt=None
    )
    with pytest.raises(ValueError, match="mmlu.*Known benchmarks"):
        evaluation.run_benchmark_jobs(training_args, SimpleNamespace(trust_remote_code=False))
    assert fake_sbatch() == []


def test_run_benchmarks_script_all(fake_sbatch):
    result = subprocess.run(
        [sys.executable, "scripts/run_benchmarks.py", "--model-id", "org/m-1.5B", "--benchmarks", "all"],
        cwd=REPO_ROOT,
        env={**entry_point_env(), "PATH": os.environ["PATH"], "RECORD_DIR": os.environ["RECORD_DIR"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    submitted = [args[2] for args, _ in fake_sbatch()]
    assert submitted == list(evaluation.LIGHTEVAL_TASKS)
    assert all(args[6:8] == ["False", "False"] and len(args) == 8 for args, _ in fake_sbatch())  # 1.5B, no prompt


def test_submitted_arguments_fit_the_slurm_script(tmp_path):
    args = evaluation.sbatch_command("aime24", "org/m-7B", "v01", system_prompt="Be brief, please.")[2:]
    env = {**entry_point_env(), "DRY_RUN": "1", "OUTPUT_DIR": str(tmp_path)}
    result = subprocess.run(["bash", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (server,) = [shlex.split(line) for line in result.stdout.splitlines() if "vllm_runtime serve" in line]
    assert server[server.index("serve") + 1 :][:1] == ["org/m-7B"] and "v01" in server
    (lighteval,) = [shlex.split(line) for line in result.stdout.splitlines() if "src/open_r1/evaluate.py" in line]
    assert "open_r1:aime24|0" in lighteval and str(tmp_path / "model_config.yaml") in lighteval
    config = yaml.safe_load((tmp_path / "model_config.yaml").read_text())["model_parameters"]
    assert config["model_name"] == "org/m-7B" and config["system_prompt"] == "Be brief, please."


# --- results: summary and details ---------------------------------------------------------------------------------


def write_results(folder: Path, model: str, when: str, results: dict, max_samples=None) -> Path:
    """A results file in the shape lighteval's EvaluationTracker writes (logging/evaluation_tracker.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"results_{when}.json"
    run = {
        "config_general": {"model_name": model, "max_samples": max_samples, "model_config": {"model_name": model}},
        "results": {**results, "all": {}},
        "versions": {},
        "config_tasks": {},
        "summary_tasks": {},
        "summary_general": {},
    }
    path.write_text(json.dumps(run))
    return path


def test_summary_table_and_chart(tmp_path, capsys):
    evals = tmp_path / "evals"
    write_results(evals / "a", "org/A", "2026-01-01T00-00-00", {"open_r1:aime24|0": {"pass@k:k=1&n=64": 0.1}})
    write_results(
        evals / "a",
        "org/A",
        "2026-01-02T00-00-00",  # newer: replaces the first aime24 score
        {"open_r1:aime24|0": {"pass@k:k=1&n=64": 0.3, "pass@k:k=1&n=64_stderr": 0.05}},
    )
    write_results(evals / "b", "org/B", "2026-01-01T00-00-00", {"open_r1:math_500|0": {"pass@k:k=1&n=2": 0.5}}, 8)
    chart = tmp_path / "chart.png"
    assert summarize_evals.main([str(evals), "--plot", str(chart)]) == 0
    table = capsys.readouterr().out
    assert "| model | aime24 | math_500 |" in table
    assert "| org/A | 30.0 |  |" in table
    assert "| org/B |  | 50.0*† |" in table  # partial run, lowered n: marked
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 5000


def test_summary_fails_clearly_without_results(tmp_path):
    with pytest.raises(SystemExit):
        summarize_evals.main([str(tmp_path), "--no-plot"])


def test_upload_details_loads_what_lighteval_writes(tmp_path):
    from datasets import Dataset

    details = tmp_path / "details_open_r1:aime24|0_2026.parquet"
    Dataset.from_list([{"doc": {"query": "q"}, "metric": {"pass@k:k=1&n=2": 1.0}}] * 3).to_parquet(str(details))
    assert upload_details.load_details([str(details)])["train"].num_rows == 3
    assert upload_details.main(["--data-files", str(details), "--hub-repo-id", "org/details", "--dry-run"]) == 0
    with pytest.raises(ValueError, match="all .parquet"):
        upload_details.load_details([str(details), "x.json"])


# --- end to end ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_make_evaluate_on_cpu_writes_a_result_the_summary_renders(tiny_world, tmp_path):
    """`make evaluate MODEL=... TASK=math_500 BACKEND=accelerate MAX_SAMPLES=8`, offline, on the tiny model (random
    weights: the score is ~0, the run proves the path). Published n=4; short generations for CPU. No DATA_DIR and no
    hub: the shipped copy serves, with one warning, and the result file says which data was used."""
    output_dir = tmp_path / "evals" / "tiny"
    env = {
        **entry_point_env(),
        "MODEL": str(tiny_world / "model"),
        "TASK": "math_500",
        "BACKEND": "accelerate",
        "MAX_SAMPLES": "8",
        "MAX_NEW_TOKENS": "64",
        "MAX_MODEL_LENGTH": "2048",  # the tiny model's 512 would cut the MATH prompts
        "OUTPUT_DIR": str(output_dir),
    }
    result = subprocess.run(
        ["bash", "scripts/evaluate.sh"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    assert result.stdout.count("shipped with open-r1") == 1, result.stdout[-5000:]

    (results_file,) = output_dir.glob("results_*.json")
    run = json.loads(results_file.read_text())
    assert run["config_general"]["max_samples"] == 8
    assert run["config_tasks"]["open_r1:math_500|0"]["hf_repo"] == str(DATA_DIR / "math500.jsonl")
    value = run["results"]["open_r1:math_500|0"]["pass@k:k=1&n=4"]
    assert 0.0 <= value <= 1.0

    (details_file,) = output_dir.glob("details/*/details_*.parquet")  # beside the results, not under the model's name
    details = upload_details.load_details([str(details_file)])["train"]
    assert details.num_rows == 8
    assert "were cut to fit the context" not in result.stdout  # MAX_MODEL_LENGTH=2048 fits the MATH prompts
    assert all(len(row["model_response"]["text"]) == 4 for row in details)  # n samples per problem, sampled
    assert any(len(set(row["model_response"]["text"])) > 1 for row in details)

    summary = subprocess.run(
        [sys.executable, "scripts/summarize_evals.py", str(output_dir), "--plot", str(tmp_path / "summary.png")],
        cwd=REPO_ROOT,
        env=entry_point_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert summary.returncode == 0, summary.stderr
    assert "math_500" in summary.stdout and f"{100 * value:.1f}*" in summary.stdout
    assert (tmp_path / "summary.png").stat().st_size > 0
