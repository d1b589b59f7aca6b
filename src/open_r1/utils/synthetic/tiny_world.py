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
"""The tiny world: a tokenizer, a ~1M-parameter Qwen2 and synthetic datasets, built offline in seconds.

Tests and CPU recipes run the real pipeline on it. The task is single-digit arithmetic ("What is 3 + 5 - 2?"),
which a model this small learns in a few hundred SFT steps, so a CPU run shows learning, not just motion.

    python scripts/make_tiny.py --output-dir data/tiny     (or `make tiny`)

writes
    model/      tokenizer (byte-level BPE, ChatML, <think>/<answer> as single tokens) + random-init Qwen2
    sft.jsonl   column `messages`: user question, assistant `<think>` reasoning and `\\boxed{}` answer
    grpo.jsonl  columns `problem`, `solution`, `answer` (the OpenR1-Math-220k shape)
"""

import json
import os
import random

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM


SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Reasoning tags are ordinary (non-special) added tokens: one id each, yet kept by `decode(skip_special_tokens=True)`,
# so format rewards see them in completions.
REASONING_TAGS = ["<think>", "</think>", "<answer>", "</answer>"]

# ChatML as Qwen2 writes it. `{% generation %}` marks assistant text so trl can train on assistant tokens only.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{{ '\n' }}"
    "{% else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Shape from the measurements: hidden 128, 4 layers learns the task on a CPU in minutes.
MODEL_SHAPE = dict(
    hidden_size=128,
    intermediate_size=384,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=512,
    tie_word_embeddings=True,
)
VOCAB_SIZE = 512


def arithmetic_problem(rng: random.Random) -> dict:
    """One "a + b - c" problem with single digits and a non-negative result, plus its worked reasoning."""
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    c = rng.randint(0, min(9, a + b))
    total = a + b
    answer = total - c
    return {
        "problem": f"What is {a} + {b} - {c}?",
        "reasoning": f"{a} + {b} = {total}\n{total} - {c} = {answer}",
        "answer": str(answer),
    }


def assistant_reply(problem: dict) -> str:
    return f"<think>\n{problem['reasoning']}\n</think>\n<answer>\n\\boxed{{{problem['answer']}}}\n</answer>"


def sft_row(problem: dict) -> dict:
    return {
        "messages": [
            {"role": "user", "content": problem["problem"]},
            {"role": "assistant", "content": assistant_reply(problem)},
        ]
    }


def grpo_row(problem: dict) -> dict:
    solution = f"{problem['reasoning'].replace(chr(10), ', ')}. The answer is $\\boxed{{{problem['answer']}}}$."
    return {"problem": problem["problem"], "solution": solution, "answer": problem["answer"]}


def build_tokenizer(corpus: list[str]) -> PreTrainedTokenizerFast:
    """Trains a byte-level BPE on `corpus`; digits stay single characters (as in Qwen2) so arithmetic is learnable."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        model_max_length=MODEL_SHAPE["max_position_embeddings"],
        padding_side="left",
    )
    wrapped.add_tokens(REASONING_TAGS)
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def build_model(tokenizer: PreTrainedTokenizerFast, seed: int) -> Qwen2ForCausalLM:
    import torch

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **MODEL_SHAPE,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def write_jsonl(path: str, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row) + "\n")


def build_tiny_world(output_dir: str = "data/tiny", seed: int = 0, sft_rows: int = 2000, grpo_rows: int = 500) -> str:
    """Writes the tiny model and datasets under `output_dir` and returns it. Deterministic for a given seed."""
    rng = random.Random(seed)
    sft_problems = [arithmetic_problem(rng) for _ in range(sft_rows)]
    grpo_problems = [arithmetic_problem(rng) for _ in range(grpo_rows)]

    # The tokenizer sees the chat-formatted traces, so ChatML scaffolding and common words become single tokens.
    corpus = [
        f"<|im_start|>user\n{p['problem']}<|im_end|>\n<|im_start|>assistant\n{assistant_reply(p)}<|im_end|>\n"
        for p in sft_problems
    ] + [grpo_row(p)["solution"] for p in grpo_problems]
    tokenizer = build_tokenizer(corpus)
    model = build_model(tokenizer, seed)

    os.makedirs(output_dir, exist_ok=True)
    model_dir = os.path.join(output_dir, "model")
    tokenizer.save_pretrained(model_dir)
    model.save_pretrained(model_dir)
    write_jsonl(os.path.join(output_dir, "sft.jsonl"), [sft_row(p) for p in sft_problems])
    write_jsonl(os.path.join(output_dir, "grpo.jsonl"), [grpo_row(p) for p in grpo_problems])
    return output_dir
