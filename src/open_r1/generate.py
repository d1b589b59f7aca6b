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
"""Distils a dataset of completions from a model behind an OpenAI-compatible server, with a distilabel pipeline.

    vllm serve deepseek-ai/DeepSeek-R1-Distill-Qwen-7B --port 8000     (or SGLang, or `transformers serve`)
    python src/open_r1/generate.py --hf-dataset AI-MO/NuminaMath-TIR --prompt-column problem \
        --model deepseek-ai/DeepSeek-R1-Distill-Qwen-7B --vllm-server-url http://localhost:8000/v1 \
        --num-generations 4 --output-dir data/numina-r1-distill

The pipeline runs on Ray (`Pipeline().ray()`): on a laptop it starts a local Ray instance; inside a Ray cluster
(slurm/generate.slurm starts one across nodes and sets RAY_ADDRESS) the same command spreads `--client-replicas`
clients over it. Each row gets a `generation` column holding `--num-generations` completions.

Before Ray starts, one request of a single token with the run's settings checks that the server takes them (the model
name as served, `n`, the sampling parameters), and `--max-new-tokens` is checked against the context length the
server reports (vLLM's `max_model_len`): otherwise every row would fail and be saved as a row without generations.
Rows whose generation still fails (a prompt too long for the context) are kept with `None` and counted; the command
then exits 1.
"""

import argparse
import logging
import os
import sys

from jinja2 import Environment, meta


logger = logging.getLogger(__name__)


def build_distilabel_pipeline(
    model: str,
    base_url: str = "http://localhost:8000/v1",
    prompt_column: str | None = None,
    prompt_template: str = "{{ instruction }}",
    temperature: float | None = None,
    top_p: float | None = None,
    max_new_tokens: int = 8192,
    num_generations: int = 1,
    input_batch_size: int = 64,
    client_replicas: int = 1,
    timeout: int = 900,
    retries: int = 0,
):
    """A one-step Ray pipeline: TextGeneration with `num_generations` completions per row, grouped in one column."""
    from distilabel.pipeline import Pipeline
    from distilabel.steps import StepResources
    from distilabel.steps.tasks import TextGeneration

    # Without RAY_ADDRESS, ray.init() joins whatever cluster /tmp/ray/ray_current_cluster last named, even one long
    # gone (a finished Slurm job's head), and fails to connect; "local" always starts a fresh instance of our own.
    ray_init_kwargs = {} if os.environ.get("RAY_ADDRESS") else {"address": "local"}
    with Pipeline().ray(ray_init_kwargs=ray_init_kwargs) as pipeline:
        TextGeneration(
            llm=build_llm(model, base_url, generation_kwargs(max_new_tokens, temperature, top_p), timeout, retries),
            template=prompt_template,
            columns=template_variables(prompt_template),
            input_mappings={"instruction": prompt_column} if prompt_column is not None else {},
            input_batch_size=input_batch_size,
            num_generations=num_generations,
            group_generations=True,
            resources=StepResources(replicas=client_replicas),
        )
    return pipeline


def generation_kwargs(max_new_tokens: int, temperature: float | None, top_p: float | None) -> dict:
    kwargs = {"max_new_tokens": max_new_tokens}
    if temperature is not None:
        kwargs["temperature"] = temperature
    if top_p is not None:
        kwargs["top_p"] = top_p
    return kwargs


def build_llm(model: str, base_url: str, sampling: dict, timeout: int, retries: int):
    from open_r1.utils.distilabel_llm import OpenAICompatibleLLM

    return OpenAICompatibleLLM(
        base_url=base_url,
        api_key="something",  # local servers ignore it; the OpenAI client insists on one
        model=model,
        timeout=timeout,
        max_retries=retries,
        generation_kwargs=sampling,
    )


def served_models(base_url: str) -> dict[str, dict]:
    """The models the server lists at /models, by name; empty where it lists none or does not answer there
    (`transformers serve` loads any model on demand and may answer 500)."""
    from open_r1.utils.generation import served_models as list_served_models

    try:
        return list_served_models(base_url, timeout=10)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def resolve_model(model: str | None, models: dict[str, dict], base_url: str) -> str:
    if model is not None:
        return model
    if len(models) == 1:
        return next(iter(models))
    listed = f"it lists {sorted(models)}" if models else "it lists none"
    raise ValueError(f"Pass --model: the name the server at {base_url} serves the model under ({listed}).")


def check_generation_settings(
    model: str, base_url: str, models: dict[str, dict], kwargs: dict, num_generations: int, timeout: int
) -> None:
    """Fails before the pipeline starts if the server would reject every request of the run.

    The context length comes from /models where the server reports it (vLLM's `max_model_len`); the rest from one
    request of one token, sent by the pipeline's own LLM class with the run's parameters.
    """
    context = (models.get(model) or {}).get("max_model_len")
    if context and kwargs["max_new_tokens"] >= context:
        raise ValueError(
            f"--max-new-tokens {kwargs['max_new_tokens']} leaves no room for a prompt: the server at {base_url} serves "
            f"{model} with a context of {context} tokens (max_model_len). Lower --max-new-tokens, or restart the "
            "server with a larger --max-model-len."
        )
    import openai

    llm = build_llm(model, base_url, kwargs, timeout, retries=0)
    llm.load()
    try:
        llm.generate(
            inputs=[[{"role": "user", "content": "Say hi."}]],
            num_generations=num_generations,
            **{**kwargs, "max_new_tokens": 1},
        )
    except openai.APIStatusError as error:
        served = f" It serves {sorted(models)}." if models else ""
        raise ValueError(
            f"The server at {base_url} rejects this run's requests (model {model!r}, --num-generations "
            f"{num_generations}, {kwargs}): HTTP {error.status_code}: {_server_message(error)}.{served}"
        ) from None
    finally:
        llm.unload()


def _server_message(error) -> str:
    body = error.body
    if isinstance(body, dict):
        body = body.get("error", body)
        if isinstance(body, dict):
            body = body.get("message", body)
    return str(body or error.message).rstrip(".")


def template_variables(template: str) -> list[str]:
    """The dataset columns a Jinja2 prompt template reads (`{{ instruction }}` reads `instruction`)."""
    return sorted(meta.find_undeclared_variables(Environment().parse(template)))


def check_columns(column_names: list[str], prompt_column: str | None, prompt_template: str, dataset_name: str):
    """Fails before any request is sent if the template reads a column the dataset does not have."""
    missing = []
    for variable in template_variables(prompt_template):
        column = prompt_column if (variable == "instruction" and prompt_column is not None) else variable
        if column not in column_names:
            missing.append(column)
    if missing:
        hint = (
            "Pass the column holding the prompt with --prompt-column"
            if "instruction" in missing or prompt_column in missing
            else "Change --prompt-template to use the dataset's columns"
        )
        raise ValueError(
            f"Dataset {dataset_name} has no column {', '.join(map(repr, missing))} (the prompt template reads it); "
            f"its columns are {column_names}. {hint}."
        )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run distilabel pipeline for generating responses with DeepSeek R1")
    parser.add_argument("--hf-dataset", type=str, required=True, help="Hub id, or a local file or folder")
    parser.add_argument("--hf-dataset-config", type=str, required=False, help="Dataset config to use")
    parser.add_argument("--hf-dataset-split", type=str, default="train", help="Dataset split to use")
    parser.add_argument("--prompt-column", type=str, default="prompt", help="Column the template's `instruction` is")
    parser.add_argument("--prompt-template", type=str, default="{{ instruction }}", help="Jinja2 prompt template")
    parser.add_argument(
        "--model", type=str, help="Model name the server serves (vLLM: as given to `vllm serve`, or its "
        "--served-model-name); default: the server's only model"
    )  # fmt: skip
    parser.add_argument("--vllm-server-url", type=str, default="http://localhost:8000/v1", help="Server URL")
    parser.add_argument("--temperature", type=float, help="Temperature for generation")
    parser.add_argument("--top-p", type=float, help="Top-p value for generation")
    parser.add_argument("--max-new-tokens", type=int, default=8192, help="Maximum new tokens to generate")
    parser.add_argument("--num-generations", type=int, default=1, help="Number of generations per problem")
    parser.add_argument("--input-batch-size", type=int, default=64, help="Batch size for input processing")
    parser.add_argument("--client-replicas", type=int, default=1, help="Number of client replicas (Ray actors)")
    parser.add_argument("--timeout", type=int, default=600, help="Request timeout in seconds")
    parser.add_argument("--retries", type=int, default=0, help="Number of retries for failed requests")
    parser.add_argument("--hf-output-dataset", type=str, required=False, help="Hub repo to push the result to")
    parser.add_argument("--private", action="store_true", help="Whether to make the output dataset private")
    parser.add_argument("--output-dir", type=str, required=False, help="Local folder the result is saved to")
    args = parser.parse_args(argv)
    if not args.hf_output_dataset and not args.output_dir:
        parser.error("pass --output-dir and/or --hf-output-dataset, or the generations are thrown away")
    if args.num_generations < 1 or args.client_replicas < 1 or args.input_batch_size < 1:
        parser.error("--num-generations, --client-replicas and --input-batch-size must be at least 1")
    return args


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)

    from open_r1.utils.data import load_dataset_any
    from open_r1.utils.generation import check_server, normalize_base_url

    base_url = normalize_base_url(args.vllm_server_url)
    check_server(base_url)  # a wrong URL fails here, not after every batch timed out

    print(f"Loading '{args.hf_dataset}' (config: {args.hf_dataset_config}, split: {args.hf_dataset_split}) dataset...")
    dataset = load_dataset_any(args.hf_dataset, args.hf_dataset_config, args.hf_dataset_split)
    check_columns(dataset.column_names, args.prompt_column, args.prompt_template, args.hf_dataset)
    print(f"Dataset loaded: {len(dataset)} rows.")

    models = served_models(base_url)
    kwargs = generation_kwargs(args.max_new_tokens, args.temperature, args.top_p)
    try:
        model = resolve_model(args.model, models, base_url)
        check_generation_settings(model, base_url, models, kwargs, args.num_generations, args.timeout)
    except ValueError as error:  # a message, not distilabel's rich traceback of every local
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(f"The server at {base_url} takes the run's requests for {model}.")

    pipeline = build_distilabel_pipeline(
        model=model,
        base_url=base_url,
        prompt_template=args.prompt_template,
        prompt_column=args.prompt_column,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_new_tokens,
        num_generations=args.num_generations,
        input_batch_size=args.input_batch_size,
        client_replicas=args.client_replicas,
        timeout=args.timeout,
        retries=args.retries,
    )

    print("Running generation pipeline...")
    distiset = pipeline.run(dataset=dataset, dataset_batch_size=args.input_batch_size * 1000, use_cache=False)
    print("Generation pipeline finished!")

    generated = distiset["default"]["train"]
    failed = sum(1 for row in generated["generation"] if row is None or any(g is None for g in row))
    print(f"{len(generated)} rows x {args.num_generations} generations; {failed} rows with a failed generation.")
    if args.output_dir:
        distiset.save_to_disk(args.output_dir)
        print(f"Saved to {os.path.abspath(args.output_dir)} (load with load_dataset_any(path, 'default', 'train')).")
    if args.hf_output_dataset:
        print(f"Pushing resulting dataset to '{args.hf_output_dataset}'...")
        distiset.push_to_hub(args.hf_output_dataset, private=args.private)
        print("Dataset pushed!")
    if failed:
        print(f"{failed} rows have a failed generation (the warnings above say why); they are saved with None.")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        try:  # leave no local Ray instance behind (a cluster started by slurm is only disconnected from)
            import ray

            if ray.is_initialized():
                ray.shutdown()
        except ImportError:
            pass
