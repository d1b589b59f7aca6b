"""The evaluation tasks as lighteval sees them: the prompt of each benchmark, GPQA's answer positions, the settings
read from the environment, the launcher's fixes to lighteval, and local benchmark files.

test_evaluate.py scores answers and launches runs end to end; the launcher runs lighteval in a subprocess there, so
what it sets up in-process is checked here.
"""

import base64
import dataclasses
import json
import pickle
import sys
import zlib
from collections import Counter
from types import SimpleNamespace

import pytest
from lighteval.models.model_input import GenerationParameters
from lighteval.models.model_output import ModelResponse
from lighteval.tasks.lighteval_task import LightevalTask
from lighteval.tasks.registry import Registry

from open_r1 import evaluate


def tasks_by_name(**overrides) -> dict:
    return {config.name.removeprefix("open_r1:"): config for config in evaluate.build_tasks(**overrides)}


def gpqa_row(i: int) -> dict:
    return {
        "Question": f"  Question number {i}: which is right? ",
        "Correct Answer": f"right {i}",
        "Incorrect Answer 1": f"wrong {i}a",
        "Incorrect Answer 2": f"wrong {i}b",
        "Incorrect Answer 3": f"wrong {i}c",
    }


def test_every_prompt_carries_its_task_name_and_its_problem():
    tasks = tasks_by_name()
    math = tasks["math_500"].prompt_function({"problem": "What is 2 + 3?", "solution": "$\\boxed{5}$"}, "t-math")
    aime = tasks["aime24"].prompt_function({"problem": "Find n.", "answer": 25}, "t-aime")
    for doc, problem in ((math, "What is 2 + 3?"), (aime, "Find n.")):
        assert doc.query.endswith(problem) and "\\boxed{ANSWER}" in doc.query
    assert (math.task_name, aime.task_name) == ("t-math", "t-aime")
    assert tasks["gpqa:diamond"].prompt_function(gpqa_row(0), "t-gpqa").task_name == "t-gpqa"
    no_tests = base64.b64encode(zlib.compress(pickle.dumps(json.dumps([])))).decode()  # the hub's encoding
    lcb_row = {"question_content": "Print 1.", "starter_code": "", "metadata": "{}"}
    lcb_row.update(public_test_cases="[]", private_test_cases=no_tests)
    assert tasks["lcb:codegeneration"].prompt_function(lcb_row, "t-lcb").task_name == "t-lcb"


def test_gpqa_puts_the_right_answer_under_every_letter_evenly_and_scores_that_letter():
    config = tasks_by_name(num_samples=1)["gpqa:diamond"]
    (metric,) = config.metrics
    positions = Counter()
    for i in range(200):
        row = gpqa_row(i)
        doc = config.prompt_function(row, config.name)
        options = dict(
            line.split(") ", 1) for line in doc.query.splitlines() if line[:3] in ("A) ", "B) ", "C) ", "D) ")
        )
        assert sorted(options) == ["A", "B", "C", "D"]
        assert sorted(options.values()) == sorted(v.strip() for k, v in row.items() if k != "Question")
        letter = "ABCD"[doc.gold_index]
        assert options[letter] == f"right {i}" and f"Question number {i}: which is right?" in doc.query
        positions[letter] += 1
        if i < 12:  # the right letter scores, whichever it is
            response = ModelResponse(text=[f"Answer: {letter}"])
            assert list(metric.compute_sample(doc=doc, model_response=response).values()) == [1.0]
    assert set(positions) == set("ABCD") and min(positions.values()) >= 30, positions


def test_settings_from_the_environment_are_whole_numbers_or_unset(monkeypatch):
    monkeypatch.delenv(evaluate.NUM_SAMPLES_ENV, raising=False)
    assert evaluate._int_from_env(evaluate.NUM_SAMPLES_ENV) is None
    monkeypatch.setenv(evaluate.NUM_SAMPLES_ENV, "  ")
    assert evaluate._int_from_env(evaluate.NUM_SAMPLES_ENV) is None
    monkeypatch.setenv(evaluate.NUM_SAMPLES_ENV, " 8 ")
    assert evaluate._int_from_env(evaluate.NUM_SAMPLES_ENV) == 8
    monkeypatch.setenv(evaluate.NUM_SAMPLES_ENV, "eight")
    with pytest.raises(ValueError) as error:
        evaluate._int_from_env(evaluate.NUM_SAMPLES_ENV)
    assert str(error.value) == "OPEN_R1_EVAL_NUM_SAMPLES='eight' is not a whole number."


def test_the_transformers_backend_samples_when_a_temperature_is_set():
    sampled = evaluate._transformers_generation_kwargs_sampling(GenerationParameters(temperature=0.6, top_p=0.95))
    assert sampled["do_sample"] is True and sampled["top_p"] == 0.95 and sampled["temperature"] == 0.6
    greedy = evaluate._transformers_generation_kwargs_sampling(GenerationParameters(temperature=0.0))
    assert not greedy.get("do_sample")


def test_the_launcher_loads_only_open_r1_tasks_and_runs_lighteval_with_the_arguments(monkeypatch):
    # Restored after the test: main() patches lighteval for the rest of its process.
    monkeypatch.setattr(Registry, "_load_from_files", Registry._load_from_files)
    monkeypatch.setattr(Registry, "_load_from_subdirs", Registry._load_from_subdirs)
    monkeypatch.setattr(GenerationParameters, "to_transformers_dict", GenerationParameters.to_transformers_dict)
    arguments = ["src/open_r1/evaluate.py", "vllm", "model_name=m", "open_r1:aime24|0"]
    monkeypatch.setattr(sys, "argv", list(arguments))
    seen = []
    # lighteval's command line stands in for itself: importing the real lighteval.__main__ reconfigures logging
    # (dictConfig), which would silence every logger other tests read.
    monkeypatch.setitem(sys.modules, "lighteval.__main__", SimpleNamespace(app=lambda: seen.append(list(sys.argv))))
    evaluate.main()
    assert seen == [["lighteval", *arguments[1:]]]
    assert GenerationParameters(temperature=0.6).to_transformers_dict()["do_sample"] is True
    assert sorted(Registry(tasks="open_r1:aime24|0", custom_tasks=evaluate).load_tasks()) == ["open_r1:aime24|0"]
    with pytest.raises(ValueError, match="Cannot find task"):
        Registry(tasks="gsm8k|0", custom_tasks=evaluate).load_tasks()


def test_tasks_built_with_overrides_load_in_lighteval(monkeypatch):
    # What lighteval loads when NUM_SAMPLES / MAX_NEW_TOKENS are set: the metrics must be fully parametrised.
    monkeypatch.setattr(evaluate, "TASKS_TABLE", evaluate.build_tasks(num_samples=2, max_new_tokens=64))
    monkeypatch.setattr(Registry, "_load_from_files", staticmethod(evaluate._no_builtin_tasks))
    monkeypatch.setattr(Registry, "_load_from_subdirs", staticmethod(evaluate._no_builtin_tasks))
    loaded = Registry(tasks="open_r1:lcb:codegeneration|0,open_r1:aime24|0", custom_tasks=evaluate).load_tasks()
    assert len(loaded) == 2


def test_a_code_metric_is_pass_at_1_only():
    with pytest.raises(ValueError) as error:
        evaluate.CodePassAtK(k=2, n=4)
    assert str(error.value) == "Only pass@1 is implemented for code (lighteval's runner computes pass@1), got k=2."
    assert evaluate.pass_at_1(evaluate.expr_gold, 3).metric_name == "pass@k:k=1&n=3"


def test_a_local_json_file_is_read_and_filtered_like_a_hub_dataset(tmp_path):
    path = tmp_path / "aime.json"
    path.write_text("\n".join(json.dumps({"problem": f"p{i}", "answer": str(i)}) for i in range(4)) + "\n")
    config = dataclasses.replace(
        tasks_by_name()["aime24"], hf_repo=str(path), hf_filter=lambda row: row["answer"] != "2"
    )
    docs = LightevalTask(config).eval_docs()
    assert [doc.choices for doc in docs] == [["0"], ["1"], ["3"]]
    missing = dataclasses.replace(config, hf_repo=str(tmp_path / "gone.jsonl"))
    with pytest.raises(FileNotFoundError) as error:
        LightevalTask.download_dataset_worker(LightevalTask(missing))
    assert str(error.value) == (
        f"{tmp_path / 'gone.jsonl'} not found: task open_r1:aime24 reads it from OPEN_R1_EVAL_DATA_DIR."
    )


def test_each_benchmark_reads_the_subset_and_split_its_hub_dataset_publishes_the_problems_in():
    tasks = tasks_by_name()
    read = {name: (config.hf_subset, tuple(config.evaluation_splits)) for name, config in tasks.items()}
    assert read == {
        "math_500": ("default", ("test",)),
        "aime24": ("default", ("train",)),
        "aime25": ("default", ("train",)),
        "gpqa:diamond": ("gpqa_diamond", ("train",)),  # GPQA's Diamond subset, not main or extended
        "lcb:codegeneration": ("v4_v5", ("test",)),  # the 2024-08 to 2025-01 window open-r1 reports
    }


def test_results_are_named_by_metric_and_n_and_average_over_problems():
    tasks = tasks_by_name(num_samples=3)
    names = {name: config.metrics[0].metric_name for name, config in tasks.items()}
    assert names == {
        "math_500": "pass@k:k=1&n=3",
        "aime24": "pass@k:k=1&n=3",
        "aime25": "pass@k:k=1&n=3",
        "gpqa:diamond": "pass@k:k=1&n=3",
        "lcb:codegeneration": "codegen_pass@k:k=1&n=3",
    }
    # The benchmark's score is the mean over problems of their pass@1.
    assert tasks["aime24"].metrics[0].corpus_level_fn([1.0, 0.0, 0.5, 0.5]) == 0.5


def test_the_generation_budget_must_be_at_least_one_token():
    assert {config.generation_size for config in evaluate.build_tasks(max_new_tokens=1)} == {1}
    with pytest.raises(ValueError) as error:
        evaluate.build_tasks(max_new_tokens=0)
    assert str(error.value) == "max_new_tokens must be at least 1, got 0."
