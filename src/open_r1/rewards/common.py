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
"""What every reward shares: the text of a completion, the dataset columns of a row, and named partials."""

import functools
from collections.abc import Callable
from typing import Any


Completion = str | list[dict[str, Any]]


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if content is None:  # e.g. an assistant turn that only calls a tool
        return ""
    if isinstance(content, str):
        return content
    # Multimodal content blocks: keep the text ones.
    return "".join(block.get("text", "") for block in content if isinstance(block, dict))


def completion_text(completion: Completion) -> str:
    """The text of one completion: the string itself, or the last assistant turn of a conversation."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _message_text(completion)
    if not completion:
        return ""
    for message in reversed(completion):
        if message.get("role", "assistant") == "assistant":
            return _message_text(message)
    return _message_text(completion[-1])


def _texts(completions: list[Completion]) -> list[str]:
    return [completion_text(completion) for completion in completions]


def _think_prefilled(text: str) -> str:
    # DeepSeek-R1-Distill templates end the prompt with "<think>\n": the completion starts inside the block.
    return text if text.lstrip().startswith("<think>") else "<think>\n" + text


def _columns(kwargs: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Rows of the dataset columns trl passed as keywords, without its helpers (trainer_state, log_metric, ...)."""
    columns = {k: v for k, v in kwargs.items() if isinstance(v, list | tuple) and len(v) == n}
    return [dict(zip(columns, values)) for values in zip(*columns.values())] if columns else [{} for _ in range(n)]


def _named(partial: functools.partial, func: Callable) -> functools.partial:
    """A partial that logs under `func`'s name (trl names reward columns after `__name__`)."""
    return functools.update_wrapper(partial, func)
