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
"""distilabel's OpenAILLM, made to return `num_generations` completions per prompt from any OpenAI-compatible server.

distilabel asks for k completions with one request (`n=k`). vLLM and SGLang honour `n`; `transformers serve` ignores
it and answers with one, which would silently leave a dataset with 1 generation per row where k were asked for. This
class tops up with further requests until it has k, so the output shape never depends on the server. With
temperature 0 (greedy decoding) it asks for one completion per request: vLLM refuses `n > 1` there ("n must be 1
when using greedy sampling"). It lives in an importable module (not in generate.py's `__main__`) so Ray workers can
unpickle it.
"""

from typing import Any

from distilabel.models.llms import OpenAILLM


def _merge(first: dict, second: dict) -> dict:
    merged = {"generations": first["generations"] + second["generations"], "statistics": {}}
    for key in set(first.get("statistics", {})) | set(second.get("statistics", {})):
        merged["statistics"][key] = first["statistics"].get(key, []) + second["statistics"].get(key, [])
    if first.get("logprobs") or second.get("logprobs"):
        merged["logprobs"] = (first.get("logprobs") or []) + (second.get("logprobs") or [])
    return merged


def is_greedy(temperature: float | None) -> bool:
    return temperature is not None and temperature < 1e-5  # vLLM's own threshold (_SAMPLING_EPS)


class OpenAICompatibleLLM(OpenAILLM):
    """OpenAILLM that always yields `num_generations` completions, topping up where the server ignores `n`."""

    async def _generate_chat_completion(self, input: Any, num_generations: int = 1, **kwargs: Any) -> dict:
        per_request = 1 if is_greedy(kwargs.get("temperature")) else num_generations
        output = await super()._generate_chat_completion(input, num_generations=per_request, **kwargs)
        while len(output["generations"]) < num_generations:
            missing = min(per_request, num_generations - len(output["generations"]))
            more = await super()._generate_chat_completion(input, num_generations=missing, **kwargs)
            if not more["generations"]:
                raise RuntimeError(f"The server at {self.base_url} answered with no completions.")
            output = _merge(output, more)
        output["generations"] = output["generations"][:num_generations]
        return output
