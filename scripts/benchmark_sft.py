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
"""SFT throughput side by side: padded batches vs padding-free vs packing, liger and gradient checkpointing.

Each variant trains a random-init model (no download: the tiny model, a Qwen2.5 shape, or any config.json) for a
few steps through `open_r1.sft.main`, the entry point users run, on conversations of varied length (1 to
`--max-turns` arithmetic exchanges of the tiny world each, so lengths spread like real traces and padding has a
cost). Per variant it reports trained tokens/s (tokens that are not padding), the share of padding in the batches,
peak memory and, on a GPU, the MFU of training.

    padded        packing=False, padding_free=False (the baseline: each batch padded to its longest row)
    padding_free  rows of a batch concatenated into one sequence, no padding
    packing       rows packed into max_length-long sequences (best-fit decreasing; padding-free as well)
    liger         liger kernels (GPU only)
    gradient_checkpointing

    python scripts/benchmark_sft.py                                   # tiny model, CPU or GPU
    python scripts/benchmark_sft.py --model qwen2.5-0.5b --bf16 --max-length 4096 --batch-size 8   # GPU

Prints a markdown table and writes every step's figures to `--output` (JSON).
"""

import argparse
import contextlib
import json
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


VARIANTS = ("padded", "padding_free", "packing", "liger", "gradient_checkpointing")


def variant_settings(variant: str) -> dict[str, Any]:
    """The SFTConfig fields a variant changes from the padded baseline."""
    return {
        "padded": {},
        # Without packing trl cannot truncate a padding-free batch; the rows already fit (see --max-turns).
        "padding_free": {"padding_free": True, "max_length": None},
        "packing": {"packing": True},
        "liger": {"use_liger_kernel": True},
        "gradient_checkpointing": {"gradient_checkpointing": True},
    }[variant]


def write_varied_length_data(world_dir: str, rows: int, max_turns: int, seed: int) -> str:
    """Conversations of 1..max_turns question/answer exchanges from the tiny world's SFT rows."""
    path = os.path.join(world_dir, f"sft_turns{max_turns}_rows{rows}_seed{seed}.jsonl")
    if os.path.isfile(path):
        return path
    with open(os.path.join(world_dir, "sft.jsonl"), encoding="utf-8") as file:
        exchanges = [json.loads(line)["messages"] for line in file]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as file:
        for _ in range(rows):
            turns = rng.randint(1, max_turns)
            messages = [message for exchange in rng.sample(exchanges, turns) for message in exchange]
            file.write(json.dumps({"messages": messages}) + "\n")
    return path


def timed_trainer_class(timer: StepTimer, captured: dict):
    """trl's SFTTrainer that counts the real and padded tokens of every batch it trains on."""
    from transformers import PrinterCallback
    from trl import SFTTrainer

    class TimedSFTTrainer(SFTTrainer):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.remove_callback(PrinterCallback)
            self.add_callback(timer)
            captured["trainer"] = self

        def training_step(self, model, inputs, *a, **kw):
            if timer.current is not None:
                # The pad token never occurs in the tiny world's text, so it marks exactly the padding.
                real = inputs["input_ids"] != self.processing_class.pad_token_id
                if "position_ids" in inputs and "attention_mask" not in inputs:  # padding-free: rows concatenated
                    sequences = int(((inputs["position_ids"] == 0) & real).sum())
                else:
                    sequences = inputs["input_ids"].size(0)
                timer.current.count("tokens", int(real.sum()))
                timer.current.count("slots", inputs["input_ids"].numel())
                timer.current.count("sequences", sequences)
            return super().training_step(model, inputs, *a, **kw)

    return TimedSFTTrainer


def run_variant(args, name: str, model_dir: str, dataset: str) -> dict[str, Any]:
    from trl import ModelConfig

    import open_r1.sft as sft
    from open_r1.configs import ScriptArguments, SFTConfig

    timer, captured = StepTimer(), {}
    output_dir = tempfile.mkdtemp(prefix=f"bench-sft-{name}-", dir=args.work_dir)
    script_args = ScriptArguments(dataset_name=dataset)
    settings = {"max_length": args.max_length} | variant_settings(name)
    training_args = SFTConfig(
        output_dir=output_dir,
        max_steps=args.warmup_steps + args.steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=1,
        learning_rate=1e-4,
        lr_scheduler_type="constant",
        bf16=args.bf16,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        log_level="warning",
        dataset_num_proc=1,
        seed=args.seed,
        use_cpu=not torch.cuda.is_available(),
        **settings,
    )
    model_args = ModelConfig(
        model_name_or_path=model_dir,
        dtype="bfloat16" if args.bf16 else "float32",
        attn_implementation=args.attn_implementation,
    )
    original = sft.SFTTrainer
    sft.SFTTrainer = timed_trainer_class(timer, captured)
    started = time.perf_counter()
    try:
        with PeakMemory() as memory:
            sft.main(script_args, training_args, model_args)
    finally:
        sft.SFTTrainer = original
        shutil.rmtree(output_dir, ignore_errors=True)

    flops, peak = flops_counter(captured.pop("trainer").model), peak_device_flops(args.peak_tflops)
    steps = []
    for record in timer.steps[args.warmup_steps :]:
        tokens, slots = record.counts.get("tokens", 0), record.counts.get("slots", 0)
        sequences = max(1.0, record.counts.get("sequences", 1))
        step = {
            "step_s": record.step_s,
            "tokens": tokens,
            "tokens_per_s": tokens / record.step_s if record.step_s else None,
            "padding_share": 1 - tokens / slots if slots else None,
            "mean_sequence_length": tokens / sequences,
        }
        if peak and record.step_s:
            # Attention FLOPs from each row's own length: padding-free rows do not attend across rows.
            step["mfu"] = flops(tokens, tokens / sequences) / record.step_s / peak
        steps.append(step)
    result = {"variant": name, "steps": steps, "peak_memory_mb": memory.peak_mb, "memory_before_mb": memory.before_mb}
    result["wall_s"] = time.perf_counter() - started
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", default="tiny", help=f"One of {sorted(MODEL_SHAPES)}, or the path of a config.json (random init)."
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"Comma-separated, from {', '.join(VARIANTS)}.")
    parser.add_argument("--steps", type=int, default=8, help="Timed steps per variant.")
    parser.add_argument("--warmup-steps", type=int, default=2, help="Steps run first and not timed.")
    parser.add_argument("--repeats", type=int, default=1, help="Runs per variant; figures are medians over steps.")
    parser.add_argument("--batch-size", type=int, default=8, help="Rows per step (per_device_train_batch_size).")
    parser.add_argument("--max-length", type=int, default=512, help="max_length: truncation, and packed row length.")
    parser.add_argument(
        "--max-turns",
        type=int,
        default=6,
        help="Each conversation has 1..max-turns exchanges of about 65 tokens (6: up to ~400 tokens).",
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="Rows of the synthetic dataset (default: 4 x what the steps need)."
    )
    parser.add_argument("--bf16", action="store_true", help="bf16 weights and training (GPU).")
    parser.add_argument(
        "--attn-implementation",
        default="sdpa",
        help="sdpa, or flash_attention_2 on a GPU with flash-attn (padding-free then uses its varlen kernel).",
    )
    parser.add_argument("--peak-tflops", type=float, default=None, help="Device peak (dense bf16) if not detected.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", default=None, help="Where the tiny world and random models are written.")
    parser.add_argument("--output", default=None, help="JSON file (default data/benchmarks/sft_<model>.json).")
    args = parser.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    if args.bf16 and not torch.cuda.is_available():
        parser.error("--bf16 needs a GPU: on a CPU the project trains in float32")
    if args.rows is None:
        args.rows = max(64, 4 * args.batch_size * (args.warmup_steps + args.steps))
    if args.output is None:
        name = os.path.splitext(os.path.basename(args.model))[0]
        args.output = os.path.join("data", "benchmarks", f"sft_{name}.json")
    return args


COLUMNS = [
    ("variant", "variant"),
    ("step_s", "step s"),
    ("tokens_per_s", "tokens/s"),
    ("speedup", "vs padded"),
    ("padding_share", "padding"),
    ("mean_sequence_length", "mean seq len"),
    ("mfu", "MFU"),
    ("peak_memory_mb", "peak MiB"),
    ("memory_before_mb", "start MiB"),
]


def main(argv=None) -> dict[str, Any]:
    args = parse_args(argv)
    cleanup = args.work_dir is None
    args.work_dir = args.work_dir or tempfile.mkdtemp(prefix="bench-sft-")
    try:
        world_dir = build_world(os.path.join(args.work_dir, "world"), seed=0)
        model_dir = build_model_dir(world_dir, args.model, dtype=torch.bfloat16 if args.bf16 else torch.float32)
        dataset = write_varied_length_data(world_dir, args.rows, args.max_turns, args.seed)

        runs, skipped = [], {}
        runnable = []
        for variant in args.variants:
            reason = gpu_only_skip_reason(variant)
            if reason:
                skipped[variant] = reason
                print(f"[skip] {variant}: {reason}", flush=True)
            else:
                runnable.append(variant)
        # Round-robin over repeats, so the first run of the process (cold caches, a growing allocator) does not
        # always fall on the same variant.
        for repeat in range(args.repeats):
            for variant in runnable:
                print(f"[run] {variant}, repeat {repeat + 1}/{args.repeats}", flush=True)
                try:
                    runs.append(run_variant(args, variant, model_dir, dataset))
                except Exception as error:  # one broken variant must not hide the others' figures
                    skipped[variant] = f"failed: {type(error).__name__}: {error}"
                    print(f"[fail] {variant}: {error}", flush=True)

        rows = []
        for variant in args.variants:
            mine = [run for run in runs if run["variant"] == variant]
            steps = [step for run in mine for step in run["steps"]]
            if not steps:
                continue
            row = {"variant": variant, "timed_steps": len(steps)}
            row.update({key: median([step.get(key) for step in steps]) for key in steps[0]})
            row["peak_memory_mb"] = max(run["peak_memory_mb"] for run in mine)
            row["memory_before_mb"] = min(run["memory_before_mb"] for run in mine)
            rows.append(row)
        baseline = next((row for row in rows if row["variant"] == "padded"), None)
        for row in rows:
            if baseline and baseline.get("tokens_per_s") and row.get("tokens_per_s"):
                row["speedup"] = row["tokens_per_s"] / baseline["tokens_per_s"]

        payload = {
            "benchmark": "sft",
            "model": args.model,
            "settings": {
                key: getattr(args, key)
                for key in (
                    "steps",
                    "warmup_steps",
                    "repeats",
                    "batch_size",
                    "max_length",
                    "max_turns",
                    "bf16",
                    "attn_implementation",
                )
            },
            "environment": device_info(),
            "memory_method": PeakMemory().method,
            "results": rows,
            "runs": runs,
            "skipped": skipped,
        }
        write_json(args.output, payload)
        env, settings = payload["environment"], payload["settings"]
        print(
            f"\nSFT benchmark: model {args.model}, {settings['batch_size']} rows/step, max_length "
            f"{settings['max_length']}, {env['device']}, load {env['load_average_1m']:.2f}, median of "
            f"{settings['steps']} steps x {settings['repeats']} repeats; memory: {payload['memory_method']}\n"
        )
        print(markdown_table(rows, COLUMNS))
        for name, reason in skipped.items():
            print(f"- {name}: skipped, {reason}")
        print(f"\nJSON written to {args.output}")
        return payload
    finally:
        if cleanup:
            shutil.rmtree(args.work_dir, ignore_errors=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
