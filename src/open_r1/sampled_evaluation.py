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
"""Sampled evaluation with transformers: pass@1 averaged over n samples per problem, plus greedy accuracy.

This is how the project reports reasoning models (DeepSeek-R1's protocol: n samples at temperature 0.6, top_p 0.95,
pass@1 = mean correctness over samples and problems), small enough to run on a CPU for tiny models. Answers are
scored by the same accuracy and format rewards GRPO trains on. lighteval (evaluate.py) does this at scale on GPUs.
It sits beside the entry points, above `rewards` (scripts/demo.py calls it), not in `utils/`, which never imports
rewards.
"""

from collections import Counter
from collections.abc import Callable

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer


def _generate(
    model,
    tokenizer,
    prompts: list[str],
    num_samples: int,
    sample: bool,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
) -> list[str]:
    inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    kwargs = (
        dict(do_sample=True, temperature=temperature, top_p=top_p, num_return_sequences=num_samples)
        if sample
        else dict(do_sample=False)
    )
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id, **kwargs)
    return tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def evaluate_model(
    model_path: str,
    problems: list[str],
    solutions: list[str],
    num_samples: int = 8,
    temperature: float = 0.6,
    top_p: float = 0.95,
    max_new_tokens: int = 64,
    batch_size: int = 32,
    seed: int = 0,
    behaviour: Callable[[str], str] | None = None,
    desc: str = "Evaluating",
) -> dict:
    """Scores a model on (problem, solution) pairs; returns pass@1, greedy accuracy, format reward and more."""
    from open_r1.rewards import accuracy_reward, format_reward

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()

    sampled_correct, greedy_correct, formats, behaviours = [], [], [], Counter()
    with tqdm(total=len(problems), desc=desc, unit="problem") as progress:
        for start in range(0, len(problems), batch_size):
            batch_problems = problems[start : start + batch_size]
            batch_solutions = solutions[start : start + batch_size]
            prompts = [
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
                )
                for p in batch_problems
            ]
            samples = _generate(model, tokenizer, prompts, num_samples, True, max_new_tokens, temperature, top_p)
            sample_solutions = [s for s in batch_solutions for _ in range(num_samples)]
            scores = accuracy_reward(samples, sample_solutions)
            for i in range(len(batch_problems)):
                group = scores[i * num_samples : (i + 1) * num_samples]
                sampled_correct.append(sum(s or 0.0 for s in group) / num_samples)
            formats.extend(format_reward(samples))
            if behaviour is not None:
                behaviours.update(behaviour(s) for s in samples)
            greedy = _generate(model, tokenizer, prompts, 1, False, max_new_tokens, temperature, top_p)
            greedy_correct.extend(s or 0.0 for s in accuracy_reward(greedy, batch_solutions))
            progress.update(len(batch_problems))

    total_samples = sum(behaviours.values()) or 1
    return {
        "pass@1": sum(sampled_correct) / len(sampled_correct),
        "greedy_accuracy": sum(greedy_correct) / len(greedy_correct),
        "format_reward": sum(formats) / len(formats),
        "behaviour_shares": {name: count / total_samples for name, count in sorted(behaviours.items())},
        "num_problems": len(problems),
        "num_samples": num_samples,
    }
