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
"""Reward functions for GRPO, with open-r1's names, signatures and semantics, on trl 1.x's reward contract.

trl calls each reward as `reward(prompts=..., completions=..., completion_ids=..., **columns)` where `completions`
is a list of plain strings or of conversations (`[{"role": "assistant", "content": ...}]`), every other dataset
column arrives as a keyword of the same name (one value per completion), and a reward of `None` means "cannot
judge this row" (trl skips it). Every reward here accepts both completion forms and ignores keywords it does not use.

Where this differs from open-r1, on purpose (each has a test):
- `verify(gold, answer)` in every math reward; open-r1's `len_reward` and `cosine_scaled_reward` call
  `verify(answer, gold)`, which is not symmetric for sets, intervals and relations.
- One policy for a gold that cannot be parsed: the row scores `None` in `accuracy`, `length` and `cosine` (open-r1
  scores it None, "correct" and 1.0 respectively).
- Math is verified in worker processes with a hard deadline (`utils/math_verification.py`): math-verify is silently
  wrong off the main thread, and cannot stop some expressions at all.
- `cosine`: a completion longer than `max_len` gets the long-end value; open-r1's cosine turns back up past it.
- `length`: Kimi 1.5 normalises lengths within each prompt's group of completions, not across the whole batch.
- `format`/`tag_count`/`code_format` can accept completions whose `<think>` was pre-filled by the chat template.
- `code`: every expected output line must match (open-r1's `zip` passed a program that printed too few lines);
  `ioi_code`/`cf_code` ignore trl's non-column keywords (`trainer_state`, `log_metric`, ...).

One module per concern:

    math.py      accuracy, length, cosine: the final answer, checked by utils/math_verification.py
    format.py    format, tag_count, reasoning_steps, repetition_penalty, soft_overlong_punishment
    code.py      code, binary_code, ioi_code, cf_code, code_format; programs run in utils/code_execution
    registry.py  get_reward_funcs and REWARD_NAMES
    user.py      the user's own rewards, named `module:function` or `file.py:function`, checked before the model loads
    common.py    what they share: completion text, dataset columns, named partials

Code runs through `execute_scripts` (utils/code_execution/providers.py: the local sandbox, E2B, Morph, routers) and
`score_submissions` (utils/code_execution/competitive_programming: IOI/Codeforces judges); docs/sandbox.md says what
the local sandbox guarantees.

A new reward is one function in the module of its concern plus one line in `registry._REGISTRY`; a user's own reward
needs neither: a recipe names it as `module:function` or `path/to/file.py:function` (user.py).
"""

from .code import (
    BINARY_THRESHOLD,
    add_ioi_includes,
    binary_code_reward,
    cf_code_reward,
    cf_score,
    code_format_reward,
    code_reward,
    execute_scripts,
    extract_code,
    get_code_format_reward,
    ioi_code_reward,
    score_submissions,
)
from .common import (
    Completion,
    completion_text,
)
from .format import (
    format_reward,
    get_repetition_penalty_reward,
    get_soft_overlong_punishment,
    reasoning_steps_reward,
    repetition_penalty_reward,
    soft_overlong_punishment_reward,
    tag_count_reward,
)
from .math import (
    accuracy_reward,
    cosine_scaled_reward,
    get_cosine_scaled_reward,
    len_reward,
    verify_answers,
)
from .registry import (
    REWARD_NAMES,
    check_reward_names,
    get_reward_funcs,
)
from .user import (
    check_user_rewards_on_a_row,
    load_user_reward,
)


__all__ = [
    "BINARY_THRESHOLD",
    "add_ioi_includes",
    "binary_code_reward",
    "cf_code_reward",
    "cf_score",
    "code_format_reward",
    "code_reward",
    "execute_scripts",
    "extract_code",
    "get_code_format_reward",
    "ioi_code_reward",
    "score_submissions",
    "Completion",
    "completion_text",
    "format_reward",
    "get_repetition_penalty_reward",
    "get_soft_overlong_punishment",
    "reasoning_steps_reward",
    "repetition_penalty_reward",
    "soft_overlong_punishment_reward",
    "tag_count_reward",
    "accuracy_reward",
    "cosine_scaled_reward",
    "get_cosine_scaled_reward",
    "len_reward",
    "verify_answers",
    "REWARD_NAMES",
    "check_reward_names",
    "get_reward_funcs",
    "check_user_rewards_on_a_row",
    "load_user_reward",
]
