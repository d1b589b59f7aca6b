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
"""The reward registry: `get_reward_funcs(script_args)` builds the rewards a recipe names, configured from its
GRPOScriptArguments, and fails on an unknown name before the entry point loads a model. A name holding ':' or '.'
is the user's own function (`my_package.rewards:my_reward`, `path/to/file.py:my_reward`), loaded by user.py."""

import difflib
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..utils.math_verification import configure_math_verifier, get_math_verifier
from .code import binary_code_reward, cf_code_reward, code_reward, get_code_format_reward, ioi_code_reward
from .common import _named
from .format import (
    format_reward,
    get_repetition_penalty_reward,
    get_soft_overlong_punishment,
    reasoning_steps_reward,
    tag_count_reward,
)
from .math import accuracy_reward, get_cosine_scaled_reward, len_reward
from .user import UserRewardError, is_user_reward, load_user_reward


if TYPE_CHECKING:
    from ..configs import GRPOScriptArguments


def _bind(func: Callable, **options) -> Callable:
    return _named(functools.partial(func, **options), func) if options else func


_REGISTRY: dict[str, Callable[["GRPOScriptArguments"], Callable]] = {
    "accuracy": lambda a: accuracy_reward,
    "format": lambda a: _bind(format_reward, **_prefill(a)),
    "reasoning_steps": lambda a: reasoning_steps_reward,
    "cosine": lambda a: get_cosine_scaled_reward(
        min_value_wrong=a.cosine_min_value_wrong,
        max_value_wrong=a.cosine_max_value_wrong,
        min_value_correct=a.cosine_min_value_correct,
        max_value_correct=a.cosine_max_value_correct,
        max_len=a.cosine_max_len,
    ),
    "repetition_penalty": lambda a: get_repetition_penalty_reward(
        ngram_size=a.repetition_n_grams, max_penalty=a.repetition_max_penalty, language=a.repetition_language
    ),
    "length": lambda a: len_reward,
    "code": lambda a: _bind(code_reward, **_code_options(a)),
    "binary_code": lambda a: _bind(binary_code_reward, **_code_options(a)),
    "ioi_code": lambda a: _bind(
        ioi_code_reward,
        test_batch_size=a.code_eval_test_batch_size,
        provider_type=a.ioi_provider,
    ),
    "cf_code": lambda a: _bind(
        cf_code_reward,
        test_batch_size=a.code_eval_test_batch_size,
        scoring_mode=a.code_eval_scoring_mode,
        provider_type=a.cf_provider,
    ),
    "code_format": lambda a: get_code_format_reward(
        language=a.code_language, think_prefilled=a.format_think_prefilled
    ),
    "tag_count": lambda a: _bind(tag_count_reward, **_prefill(a)),
    "soft_overlong_punishment": lambda a: get_soft_overlong_punishment(
        max_completion_len=a.max_completion_len, soft_punish_cache=a.soft_punish_cache
    ),
}

REWARD_NAMES: frozenset[str] = frozenset(_REGISTRY)


def _prefill(args: "GRPOScriptArguments") -> dict[str, bool]:
    return {"think_prefilled": True} if args.format_think_prefilled else {}


def _code_options(args: "GRPOScriptArguments") -> dict[str, Any]:
    options = {
        "num_parallel": args.parallel_code_exec_per_proc,
        "provider_type": args.code_provider,
        "enforce_same_language": args.enforce_same_language,
    }
    for name in ("e2b_router_url", "morph_router_url", "local_router_url"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if options["provider_type"] == "local" and not options.get("local_router_url"):
        # The sandbox's limits (GRPOScriptArguments.code_*), and a probe of this machine now, before a model is
        # loaded: it fails fast where no isolation works and logs every guarantee that is missing.
        for name in _LOCAL_LIMITS:
            options[name] = getattr(args, "code_" + name)
        from ..utils.code_execution.sandbox import detect_isolation

        detect_isolation()
    return options


# The local sandbox's limits, read from GRPOScriptArguments.code_<name>.
_LOCAL_LIMITS = ("timeout_s", "memory_mb", "max_processes", "max_output_bytes")


def check_reward_names(names: list[str]) -> None:
    """Fails on a name the registry does not have, with the nearest registered names and the whole list, and on a
    user reward that does not import or cannot take trl's keywords (user.load_user_reward)."""
    unknown = [name for name in names if name not in _REGISTRY and not is_user_reward(name)]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(REWARD_NAMES), n=2)
            hints.append(name + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise ValueError(
            f"Unknown reward function(s) in `reward_funcs`: {', '.join(hints)}. "
            f"Known: {', '.join(sorted(REWARD_NAMES))}; or your own function, as `module:function` or "
            "`path/to/file.py:function`."
        )
    for name in names:
        if is_user_reward(name):
            load_user_reward(name)


def _check_logged_names(names: list[str], funcs: list[Callable]) -> None:
    # trl logs each reward as rewards/<function name>/mean and pools rewards of the same name into one metric: a user
    # function named like another reward would hide both.
    from trl.trainer.utils import get_callable_name

    seen: dict[str, str] = {}
    for name, func in zip(names, funcs):
        logged = get_callable_name(func)
        if logged in seen and (is_user_reward(name) or is_user_reward(seen[logged])):
            raise UserRewardError(
                f"Rewards `{seen[logged]}` and `{name}` in `reward_funcs` are both functions named {logged}, and trl "
                f"would log them as one (rewards/{logged}/mean): rename one of the functions."
            )
        seen.setdefault(logged, name)


def get_reward_funcs(script_args: "GRPOScriptArguments") -> list[Callable]:
    """The reward functions named in `script_args.reward_funcs`, in that order, configured from `script_args`."""
    check_reward_names(script_args.reward_funcs)
    if _MATH_REWARDS & set(script_args.reward_funcs):
        options = {}
        if script_args.math_verify_timeout is not None:
            options["timeout_s"] = script_args.math_verify_timeout
        if script_args.math_verify_workers is not None:
            options["num_workers"] = script_args.math_verify_workers
        if options:
            configure_math_verifier(**options)
        get_math_verifier().start()  # workers warm up in the background while the model loads
    funcs = [
        load_user_reward(name) if is_user_reward(name) else _REGISTRY[name](script_args)
        for name in script_args.reward_funcs
    ]
    _check_logged_names(script_args.reward_funcs, funcs)
    return funcs


_MATH_REWARDS = {"accuracy", "cosine", "length"}
