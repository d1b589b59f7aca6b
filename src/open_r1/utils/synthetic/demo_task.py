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
"""The demo task: arithmetic traces that mix a careful behaviour with an error-prone shortcut.

Distilled corpora mix good and bad reasoning. Here every SFT trace either works the sum out step by step
("careful": right by construction) or jumps to a guess ("shortcut": right only `shortcut_accuracy` of the time).
SFT teaches the model both; GRPO, rewarded for right answers, should learn to prefer the careful one. That is the
R1 story in miniature: RL amplifies the reasoning that pays off. The behaviour of a completion is visible in its
first reasoning line, so the demo can plot the share of each behaviour per GRPO step.
"""

import os
import random

from .tiny_world import build_model, build_tokenizer, grpo_row, write_jsonl


CAREFUL, SHORTCUT, OTHER = "careful", "shortcut", "other"
SHORTCUT_MARKER = "I guess"


def careful_reply(problem: dict) -> str:
    return f"<think>\n{problem['reasoning']}\n</think>\n<answer>\n\\boxed{{{problem['answer']}}}\n</answer>"


def shortcut_reply(problem: dict, rng: random.Random, shortcut_accuracy: float) -> str:
    guess = int(problem["answer"])
    if rng.random() >= shortcut_accuracy:
        guess = max(0, guess + rng.choice([-2, -1, 1, 2]))
        guess = guess if guess != int(problem["answer"]) else guess + 1
    return f"<think>\n{SHORTCUT_MARKER} {guess}.\n</think>\n<answer>\n\\boxed{{{guess}}}\n</answer>"


def behaviour(completion: str) -> str:
    """Which behaviour a completion follows, read from its first reasoning line."""
    body = completion.split("<think>", 1)[-1].lstrip("\n")
    if body.startswith(SHORTCUT_MARKER):
        return SHORTCUT
    if body[:1].isdigit():
        return CAREFUL
    return OTHER


def build_demo_world(
    output_dir: str,
    seed: int = 0,
    sft_rows: int = 4000,
    grpo_rows: int = 1000,
    test_rows: int = 200,
    careful_share: float = 0.45,
    shortcut_accuracy: float = 0.3,
) -> str:
    """Writes model/ (tokenizer + random-init tiny Qwen2), sft.jsonl, grpo.jsonl and test.jsonl under output_dir.

    careful_share is a little under one half so that the SFT model's greedy answer is the shortcut on many problems:
    at exactly one half, which behaviour greedy decoding picks is a coin flip that the CPU's floating-point path
    decides, and "greedy accuracy does not fall after GRPO" then held or not by a point or two. Much lower (0.35) and
    the tiny model no longer learns the careful arithmetic in the SFT budget (measured: SFT pass@1 0.19).

    Test problems are held out: no (a, b, c) of test.jsonl appears in the SFT or GRPO data.
    """
    rng = random.Random(seed)
    # Every distinct problem (a, b, c) with single digits and a + b - c >= 0: 835 of them.
    problems = [
        {
            "problem": f"What is {a} + {b} - {c}?",
            "reasoning": f"{a} + {b} = {a + b}\n{a + b} - {c} = {a + b - c}",
            "answer": str(a + b - c),
        }
        for a in range(10)
        for b in range(10)
        for c in range(min(9, a + b) + 1)
    ]
    rng.shuffle(problems)
    test, train = problems[:test_rows], problems[test_rows:]

    sft = []
    for _ in range(sft_rows):
        p = rng.choice(train)
        reply = careful_reply(p) if rng.random() < careful_share else shortcut_reply(p, rng, shortcut_accuracy)
        sft.append({"messages": [{"role": "user", "content": p["problem"]}, {"role": "assistant", "content": reply}]})
    grpo = [grpo_row(rng.choice(train)) for _ in range(grpo_rows)]

    corpus = [
        f"<|im_start|>user\n{row['messages'][0]['content']}<|im_end|>\n<|im_start|>assistant\n"
        f"{row['messages'][1]['content']}<|im_end|>\n"
        for row in sft
    ]
    tokenizer = build_tokenizer(corpus)
    model = build_model(tokenizer, seed)
    os.makedirs(output_dir, exist_ok=True)
    tokenizer.save_pretrained(os.path.join(output_dir, "model"))
    model.save_pretrained(os.path.join(output_dir, "model"))
    write_jsonl(os.path.join(output_dir, "sft.jsonl"), sft)
    write_jsonl(os.path.join(output_dir, "grpo.jsonl"), grpo)
    write_jsonl(os.path.join(output_dir, "test.jsonl"), [grpo_row(p) for p in test])
    return output_dir
