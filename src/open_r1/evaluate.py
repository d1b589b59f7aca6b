# Copyright 2026 The open-r1 reproduction authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""lighteval tasks for the R1 benchmarks, scored the way DeepSeek and open-r1 report them.

Every task scores pass@1 averaged over n samples per problem (DeepSeek-R1's protocol: 64 for AIME, 4 for MATH-500,
8 for GPQA Diamond, 16 for LiveCodeBench), to be generated with temperature 0.6, top_p 0.95 and up to 32768 new
tokens. Scoring one sample per problem is the usual cause of "I can't reproduce the scores": AIME has 30 problems,
so one sample more or less right moves the score by 3.3 points.

    make evaluate MODEL=$MODEL TASK=aime24      (utils/evaluation.py starts `vllm serve $MODEL`, then runs the line below)
    python src/open_r1/evaluate.py endpoint litellm \\
        "model_name=$MODEL,base_url=http://127.0.0.1:$PORT/v1,generation_parameters={temperature:0.6,top_p:0.95}" \\
        "open_r1:aime24|0" --custom-tasks src/open_r1/evaluate.py --output-dir data/evals/$MODEL

Run as a script, this file is lighteval's command line with fixes (see `main()`: it starts offline, the transformers
backend samples, and `endpoint litellm` talks to an OpenAI-compatible vLLM server through
open_r1.utils.served_model); `lighteval ... --custom-tasks src/open_r1/evaluate.py` works too where it can reach the
network, but not against a vLLM server.

Task names. lighteval 0.13 ships its own `aime24`, `math_500`, `gpqa:diamond`, ... (with other prompts, metrics and
n=1) and refuses custom tasks that reuse a built-in name, so ours are prefixed: `open_r1:math_500`, `open_r1:aime24`,
`open_r1:aime25`, `open_r1:gpqa:diamond`, `open_r1:lcb:codegeneration`. A task spec is `<name>|<few-shots>`, e.g.
`open_r1:aime24|0`; the bare prefix `open_r1` expands to all five (lighteval groups names by their text before ':').

Settings. lighteval imports this file itself, so it cannot be handed arguments. Three environment variables are its
documented interface, set by `make evaluate` / scripts/evaluate.sh from DATA_DIR, NUM_SAMPLES and MAX_NEW_TOKENS;
they are the only options read from the environment, and unset they mean the published setup:
    OPEN_R1_EVAL_DATA_DIR        folders (os.pathsep-separated) holding benchmark files to read instead of the hub:
                                 math500.jsonl, aime24.jsonl, aime25.jsonl, gpqa_diamond.csv, lcb_codegeneration.jsonl
                                 (the hub datasets' rows). A benchmark reads the first folder holding its file, the
                                 hub where none does. `make evaluate` sets it from DATA_DIR, adding the copies shipped
                                 in open_r1.benchmark_data where the hub cannot be reached (utils/evaluation.py).
    OPEN_R1_EVAL_NUM_SAMPLES     n for every task instead of its published n (a quick CPU run); the metric's name
                                 records the n used, e.g. `pass@k:k=1&n=2`, so a lowered n is never mistaken for
                                 the published one.
    OPEN_R1_EVAL_MAX_NEW_TOKENS  generation budget instead of 32768. It must be the task's own generation size:
                                 lighteval's transformers backend ignores `generation_parameters.max_new_tokens`.
"""

import os
import random
import sys
from dataclasses import dataclass

import numpy as np
from datasets import DatasetDict, load_dataset
from lighteval.metrics.dynamic_metrics import MultilingualExtractiveMatchMetric
from lighteval.metrics.metrics_sample import PassAtK, SampleLevelComputation, SamplingMetric
from lighteval.metrics.utils.extractive_match_utils import (
    ExprExtractionConfig,
    IndicesExtractionConfig,
    LatexExtractionConfig,
)
from lighteval.metrics.utils.metric_utils import SampleLevelMetric
from lighteval.models.model_input import GenerationParameters
from lighteval.models.model_output import ModelResponse
from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
from lighteval.tasks.registry import Registry
from lighteval.tasks.requests import Doc, SamplingMethod
from lighteval.tasks.tasks.lcb.main import CodegenMetric, lcb_codegeneration_prompt_fn
from lighteval.utils.language import Language

from open_r1.utils.evaluation import BENCHMARK_DATA, BenchmarkData


TASK_PREFIX = "open_r1"
DATA_DIR_ENV = "OPEN_R1_EVAL_DATA_DIR"
NUM_SAMPLES_ENV = "OPEN_R1_EVAL_NUM_SAMPLES"
MAX_NEW_TOKENS_ENV = "OPEN_R1_EVAL_MAX_NEW_TOKENS"
DEFAULT_MAX_NEW_TOKENS = 32768  # DeepSeek-R1's evaluation budget; reasoning traces on AIME run past 16k tokens

# Prompt of open-r1 and of lighteval's own aime task, adapted from simple-evals. The answer must end up in a
# \boxed{} for math-verify to find it.
MATH_QUERY_TEMPLATE = """
Solve the following math problem efficiently and clearly.  The last line of your response should be of the following format: 'Therefore, the final answer is: $\\boxed{{ANSWER}}$. I hope it is correct' (without quotes) where ANSWER is just the final number or expression that solves the problem. Think step by step before answering.

{prompt}
""".strip()

# simple-evals' multiple-choice prompt, as open-r1 and lighteval's gpqa:diamond use it.
GPQA_QUERY_TEMPLATE = """
Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.

{Question}

A) {A}
B) {B}
C) {C}
D) {D}
""".strip()


# --- prompts: one dataset row -> one lighteval Doc ------------------------------------------------------------


def math_prompt(line: dict, task_name: str | None = None) -> Doc:
    """MATH-500: the gold is the reference solution, whose \\boxed{} answer latex extraction finds."""
    return Doc(
        task_name=task_name,
        query=MATH_QUERY_TEMPLATE.format(prompt=line["problem"]),
        choices=[line["solution"]],
        gold_index=0,
    )


def aime_prompt(line: dict, task_name: str | None = None) -> Doc:
    """AIME: the gold is the integer answer. str() because copies disagree on its type (str "025" vs int 25)."""
    return Doc(
        task_name=task_name,
        query=MATH_QUERY_TEMPLATE.format(prompt=line["problem"]),
        choices=[str(line["answer"])],
        gold_index=0,
    )


def gpqa_prompt(line: dict, task_name: str | None = None) -> Doc:
    """GPQA: the right answer goes to a random position among the four choices.

    open-r1 and lighteval draw the position from the global random state, so it changes between runs and even between
    a task's docs depending on what ran before; seeding by the question makes the prompt, and hence the score,
    reproducible, while positions stay spread evenly over A-D across questions.
    """
    gold_index = random.Random(line["Question"]).randint(0, 3)
    choices = [line["Incorrect Answer 1"], line["Incorrect Answer 2"], line["Incorrect Answer 3"]]
    choices.insert(gold_index, line["Correct Answer"])
    choices = [choice.strip() for choice in choices]
    query = GPQA_QUERY_TEMPLATE.format(
        Question=line["Question"].strip(), A=choices[0], B=choices[1], C=choices[2], D=choices[3]
    )
    return Doc(
        task_name=task_name, query=query, choices=["A", "B", "C", "D"], gold_index=gold_index, instruction=query
    )


def lcb_prompt(line: dict, task_name: str | None = None) -> Doc:
    """LiveCodeBench: lighteval's prompt (LiveCodeBench's own), with the tests carried in `doc.specific`."""
    return lcb_codegeneration_prompt_fn(line, task_name)


# --- metrics: pass@1 over n samples -----------------------------------------------------------------------------

# math-verify through lighteval's extractive match, configured as open-r1's evaluate.py does: the boxed answer is
# tried first, then the last expression; 5 decimal places. `latex_gold` reads the gold as LaTeX (a MATH solution),
# `expr_gold` as a plain expression (an AIME integer).
_PRED_MATH = (ExprExtractionConfig(), LatexExtractionConfig(boxed_match_priority=0))
latex_gold = MultilingualExtractiveMatchMetric(
    language=Language.ENGLISH,
    gold_extraction_target=(LatexExtractionConfig(),),
    pred_extraction_target=_PRED_MATH,
    fallback_mode="first_match",
    precision=5,
)
expr_gold = MultilingualExtractiveMatchMetric(
    language=Language.ENGLISH,
    gold_extraction_target=(ExprExtractionConfig(),),
    pred_extraction_target=_PRED_MATH,
    fallback_mode="first_match",
    precision=5,
)
# The gold is a bare letter, so it is read without an anchor; a prediction needs one ("Answer: B"): unanchored, the
# word "A" anywhere in a reasoning trace would count as a choice (lighteval's own warning on IndicesExtractionConfig).
letter_gold = MultilingualExtractiveMatchMetric(
    language=Language.ENGLISH,
    gold_extraction_target=(
        IndicesExtractionConfig(prefix_for_extraction="NativeLetters", try_extract_without_anchor=True),
    ),
    pred_extraction_target=(IndicesExtractionConfig(prefix_for_extraction="NativeLetters"),),
    precision=5,
)


class CodePassAtK(SamplingMetric, SampleLevelComputation):
    """pass@1 of generated programs over n samples, graded by lighteval's LiveCodeBench runner.

    Written here because lighteval's `lcb_codegen_metric` is not a SamplingMetric, so lighteval generates a single
    sample for it (its name "codegen_pass@1:16" notwithstanding). Being a SamplingMetric with `n` makes lighteval
    generate n samples per problem; the grading itself is lighteval's CodegenMetric, unchanged.
    """

    def __init__(self, k: int | None = None, n: int | None = None):
        super().__init__()
        if k not in (None, 1):
            raise ValueError(f"Only pass@1 is implemented for code (lighteval's runner computes pass@1), got k={k}.")
        self.k, self.n = k, n
        self.attribute_must_be_set = ["n"]

    def compute(self, doc: Doc, model_response: ModelResponse, **kwargs) -> float:
        responses = ModelResponse(text=model_response.final_text[: self.n])
        return CodegenMetric().compute(model_response=responses, doc=doc)

    def num_samples(self) -> int:
        return self.n


def pass_at_1(scorer: SampleLevelComputation | None, n: int, name: str = "pass@k") -> SampleLevelMetric:
    """pass@1 estimated from n samples per problem (= the mean correctness of the n samples), lighteval's PassAtK.

    Named as lighteval names parametrised metrics, e.g. `pass@k:k=1&n=64`, so results say which n was used.
    """
    sample_fn = CodePassAtK() if scorer is None else PassAtK(sample_scoring_function=scorer, strip_strings=True)
    metric = SampleLevelMetric(
        metric_name=name,
        sample_level_fn=sample_fn,
        category=SamplingMethod.GENERATIVE,
        corpus_level_fn=np.mean,
        higher_is_better=True,
    )
    return metric(sample_params={"k": 1, "n": n})


# --- tasks ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """One benchmark as published: where its data lives, how a row becomes a prompt, how an answer is scored."""

    name: str  # the lighteval task is f"{TASK_PREFIX}:{name}"
    prompt_function: object
    data: BenchmarkData  # hub dataset, and the file name it has in OPEN_R1_EVAL_DATA_DIR
    hf_subset: str
    split: str
    scorer: SampleLevelComputation | None  # None: run the generated code against the tests
    num_samples: int  # n of pass@1, DeepSeek-R1's
    metric_name: str = "pass@k"


BENCHMARKS = {
    benchmark.name: benchmark
    for benchmark in [
        Benchmark("math_500", math_prompt, BENCHMARK_DATA["math_500"], "default", "test", latex_gold, 4),
        Benchmark("aime24", aime_prompt, BENCHMARK_DATA["aime24"], "default", "train", expr_gold, 64),
        Benchmark("aime25", aime_prompt, BENCHMARK_DATA["aime25"], "default", "train", expr_gold, 64),
        Benchmark("gpqa:diamond", gpqa_prompt, BENCHMARK_DATA["gpqa"], "gpqa_diamond", "train", letter_gold, 8),
        Benchmark(
            "lcb:codegeneration",
            lcb_prompt,
            BENCHMARK_DATA["lcb"],
            "v4_v5",  # problems from 2024-08 to 2025-01, the window open-r1 and lighteval report
            "test",
            None,
            16,
            metric_name="codegen_pass@k",
        ),
    ]
}


def build_tasks(
    data_dir: str | None = None, num_samples: int | None = None, max_new_tokens: int | None = None
) -> list[LightevalTaskConfig]:
    """The lighteval task configs; None everywhere gives the published setup.

    `data_dir`: folders (os.pathsep-separated) to read benchmark files from; a benchmark reads its file from the first
    folder holding it, and the hub where none does.
    """
    if num_samples is not None and num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}.")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}.")
    tasks = []
    for benchmark in BENCHMARKS.values():
        folders = [os.path.abspath(folder) for folder in (data_dir or "").split(os.pathsep) if folder]
        local = [os.path.join(folder, benchmark.data.local_file) for folder in folders]
        hf_repo = next((path for path in local if os.path.isfile(path)), benchmark.data.hub_id)
        tasks.append(
            LightevalTaskConfig(
                name=f"{TASK_PREFIX}:{benchmark.name}",
                prompt_function=benchmark.prompt_function,
                hf_repo=hf_repo,
                hf_subset=benchmark.hf_subset,
                hf_avail_splits=[benchmark.split],
                evaluation_splits=[benchmark.split],
                few_shots_split=None,
                few_shots_select=None,
                generation_size=max_new_tokens or DEFAULT_MAX_NEW_TOKENS,
                metrics=[pass_at_1(benchmark.scorer, num_samples or benchmark.num_samples, benchmark.metric_name)],
                stop_sequence=[],  # chat models stop at their EOS token; a stop string could cut a reasoning trace
                version=1,
            )
        )
    return tasks


def _int_from_env(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number.") from None


# --- local data ---------------------------------------------------------------------------------------------------

_download_from_hub = LightevalTask.download_dataset_worker


def _download_dataset(task: LightevalTask) -> DatasetDict:
    """lighteval's dataset loader, extended to read one local JSON Lines or CSV file.

    lighteval 0.13 loads every task with `load_dataset(hf_repo, hf_subset)`, which accepts a hub id or a dataset
    folder but not a single file (datasets raises "Couldn't find any data file"). A task whose `hf_repo` is such a
    file is read with datasets' json or csv builder into the task's evaluation split; anything else goes to lighteval.
    """
    path = task.dataset_path
    if not path.endswith((".jsonl", ".json", ".csv")):
        return _download_from_hub(task)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: task {task.name} reads it from {DATA_DIR_ENV}.")
    builder = "csv" if path.endswith(".csv") else "json"
    dataset = load_dataset(builder, data_files={task.evaluation_split[0]: path})
    if task.dataset_filter is not None:
        dataset = dataset.filter(task.dataset_filter)
    return dataset


if hasattr(_download_from_hub, "__wrapped__"):  # this file imported a second time: patch lighteval once
    _download_from_hub = _download_from_hub.__wrapped__
_download_dataset.__wrapped__ = _download_from_hub
LightevalTask.download_dataset_worker = staticmethod(_download_dataset)


TASKS_TABLE = build_tasks(
    data_dir=os.environ.get(DATA_DIR_ENV) or None,
    num_samples=_int_from_env(NUM_SAMPLES_ENV),
    max_new_tokens=_int_from_env(MAX_NEW_TOKENS_ENV),
)


# --- offline-safe launcher ------------------------------------------------------------------------------------


def _no_builtin_tasks(*args) -> dict[str, LightevalTaskConfig]:
    return {}


_transformers_generation_kwargs = GenerationParameters.to_transformers_dict


def _transformers_generation_kwargs_sampling(self: GenerationParameters) -> dict:
    """lighteval's transformers generation kwargs: sampling at a temperature above 0, greedy at 0 (as on vLLM).

    Greedy is said explicitly, and without the sampling options: a model whose generation_config.json says
    `do_sample: true` (DeepSeek's R1 distills do) would otherwise sample at temperature 0.
    """
    kwargs = _transformers_generation_kwargs(self)
    if self.temperature > 0:
        kwargs.setdefault("do_sample", True)
    else:
        kwargs["do_sample"] = False
        for option in ("top_p", "top_k", "min_p"):  # temperature stays: lighteval reads it after these kwargs
            kwargs.pop(option, None)
    return kwargs


def _serve_litellm_models_with_our_client() -> None:
    """`lighteval endpoint litellm` through open_r1.utils.served_model, without litellm's disk cache or network.

    lighteval's litellm module, imported by every backend, turns on litellm's disk cache at import (a
    `.litellm_cache` folder in the working directory, keyed by the model's name: a retrained model would be answered
    from its predecessor's generations); open_r1.utils.served_model imports it first, with that cache off.
    """
    try:
        from open_r1.utils.served_model import ServedModelClient
    except ImportError:  # no litellm: lighteval's own check names the missing package if `endpoint litellm` runs
        return
    from lighteval.models import model_loader

    model_loader.LiteLLMClient = ServedModelClient


def _details_straight_in_the_output_dir() -> None:
    """Details in <output_dir>/details/<time>/, as results are in <output_dir>: lighteval nests them under the model's
    name, which `make evaluate`'s output dir already is (data/evals/data/tiny/model/details/data/tiny/model/...)."""
    from lighteval.logging.evaluation_tracker import EvaluationTracker

    nested = EvaluationTracker._get_details_sub_folder
    if getattr(nested, "_open_r1", False):
        return

    def details_sub_folder(self, date_id: str):
        model_name = self.general_config_logger.model_name
        self.general_config_logger.model_name = ""  # lighteval appends the name to <output_dir>/details
        try:
            return nested(self, date_id)
        finally:
            self.general_config_logger.model_name = model_name

    details_sub_folder._open_r1 = True
    EvaluationTracker._get_details_sub_folder = details_sub_folder


def main() -> None:
    """`lighteval <args>` for open-r1's tasks, with two fixes to lighteval 0.13 that the R1 evaluation needs.

    - Offline start. Whatever task is asked for, lighteval's registry first imports every one of its ~90 built-in
      task modules, and some download at import: tiny_benchmarks.py fetches a file from GitHub (without a network
      every `lighteval` command dies there, open-r1 issue #651), ifeval fetches nltk data. Here only the tasks of
      --custom-tasks are loaded (this file's), which also saves ~10 s per start. For lighteval's built-in tasks,
      run `lighteval` itself.
    - Sampling on the transformers backend (`accelerate`). lighteval never passes `do_sample` to `generate`, so the
      temperature only applies if the model's own generation_config.json says `do_sample: true`; otherwise a run
      with n = 1 is silently greedy and one with n > 1 fails. Here temperature > 0 means sampling and 0 greedy, as
      on vLLM.
    - A vLLM server as the model (`endpoint litellm`, what `make evaluate` runs by default): lighteval 0.13's own
      vLLM backend needs vllm<0.10.2 and a module vLLM no longer has, so the model is served with `vllm serve` and
      reached through open_r1.utils.served_model (see `_serve_litellm_models_with_our_client`).
    - Details beside the results (`_details_straight_in_the_output_dir`).
    Otherwise this is lighteval's own command line.
    """
    _serve_litellm_models_with_our_client()
    from lighteval.__main__ import app

    Registry._load_from_files = staticmethod(_no_builtin_tasks)
    Registry._load_from_subdirs = staticmethod(_no_builtin_tasks)
    GenerationParameters.to_transformers_dict = _transformers_generation_kwargs_sampling
    _details_straight_in_the_output_dir()
    sys.argv[0] = "lighteval"
    app()


if __name__ == "__main__":
    main()
