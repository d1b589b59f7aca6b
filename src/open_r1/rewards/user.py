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
"""Rewards the user writes, named in a recipe's `reward_funcs` beside the registry's names:

    reward_funcs: [accuracy, my_package.rewards:my_reward, path/to/file.py:my_reward]

`module:function` is imported as `import module` would be from the working directory; `file.py:function` is loaded
from that file (relative to the working directory, or absolute). trl's own dotted form (`my_package.rewards.my_reward`)
is read too. A reward is checked twice before the model loads, so a broken one stops the run in seconds with one line
that names it as the recipe wrote it:

- `load_user_reward` (from the preflight, before torch; from check-recipe; from `get_reward_funcs`): it imports, is
  callable, and its signature takes the keywords trl passes to every reward;
- `check_user_rewards_on_a_row` (grpo.py, once the dataset and tokenizer are loaded): it is called the way trl's
  GRPOTrainer calls it, on one real row, and must return one float, int or None per completion.

Nothing heavy is imported at module level: the preflight imports this before torch.
"""

import asyncio
import difflib
import functools
import hashlib
import importlib
import importlib.util
import inspect
import numbers
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..utils.inputs import did_you_mean


# What trl 1.16's GRPOTrainer._calculate_rewards passes to every reward function, besides one keyword per dataset
# column (each a list, one value per completion). `environments` is added only with an `environment_factory`, which
# no open-r1 recipe sets.
TRL_KEYWORDS = ("prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric")
# Columns trl does not pass as keywords: the prompt arrives as `prompts`; the other two are its own.
_NOT_PASSED = ("prompt", "completion", "completion_ids")
# The row's column written as the preflight's first completion: a reference answer a reward can score. The second
# completion is empty, which a model writes too (an immediate end-of-sequence).
REFERENCE_COLUMNS = ("solution", "answer", "completion", "response")

_FIX = "A reward is `def my_reward(completions, **kwargs) -> list[float | None]` (README: Writing your own reward)."


class UserRewardError(ValueError):
    """A user reward that cannot work; a ValueError, so the entry points end with its message as one line."""


def is_user_reward(name: str) -> bool:
    """A reference to the user's own function rather than a registry name (which never holds ':' or '.')."""
    return ":" in name or "." in name


def _split(reference: str) -> tuple[str, str]:
    if ":" in reference:
        target, _, attribute = reference.rpartition(":")
    else:  # trl's dotted form, my_package.rewards.my_reward
        target, _, attribute = reference.rpartition(".")
    if not target or not attribute or not attribute.isidentifier():
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs` is neither a registry name nor `module:function` or "
            "`path/to/file.py:function`: write it as one of those."
        )
    return target, attribute


def _is_file(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target


# A file is executed once per process, however often it is named (the preflight, check-recipe and get_reward_funcs
# each resolve it).
_FILE_MODULES: dict[Path, Any] = {}


def _import_file(reference: str, target: str) -> Any:
    path = Path(target).expanduser()
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative to the working directory {os.getcwd()})"
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: the file {target} does not exist{where}.{did_you_mean(target)}"
        )
    path = path.resolve()
    if path not in _FILE_MODULES:
        # A name of its own per file, registered in sys.modules as `import` would (dataclasses and pickling look a
        # module up there); the file's folder joins the path so it can import the modules beside it, as under
        # `python file.py`, but last, so it never shadows an installed package.
        name = f"open_r1_user_reward_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        if str(path.parent) not in sys.path:
            sys.path.append(str(path.parent))
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as error:
            del sys.modules[name]
            if not isinstance(error, Exception):
                raise
            raise UserRewardError(
                f"Reward `{reference}` in `reward_funcs`: loading {target} raised {_described(error, path)}."
            ) from error
        _FILE_MODULES[path] = module
    return _FILE_MODULES[path]


def _import_module(reference: str, target: str) -> Any:
    # trl's `trl grpo` imports dotted rewards from the working directory; so does this, but after the installed
    # packages, so a folder named like one (datasets/, data/) never hides it.
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as error:
        if error.name is not None and not (target == error.name or target.startswith(error.name + ".")):
            # The module exists but one of its own imports is missing: that is the module's problem to show.
            raise UserRewardError(
                f"Reward `{reference}` in `reward_funcs`: importing {target} raised {_described(error)}."
            ) from error
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: there is no module {target} ({error}). A `module:function` "
            f"reward is imported from the installed packages or the working directory ({os.getcwd()}); for a file, "
            "write `path/to/file.py:function`."
        ) from error
    except Exception as error:
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: importing {target} raised {_described(error)}."
        ) from error


def _described(error: BaseException, path: Path | None = None) -> str:
    """`KeyError: 'x' (file.py, line 3)`: the exception and the deepest line of the user's code it passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        frames = [traceback.FrameSummary(error.filename, error.lineno or 0, "")]
    own = [frame for frame in frames if path is None or Path(frame.filename).resolve() == path]
    frames = [frame for frame in (own or frames) if Path(frame.filename).resolve() != Path(__file__).resolve()]
    where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    return f"{type(error).__name__}: {text}{where}" if text else f"{type(error).__name__}{where}"


def _callables_of(module: Any) -> list[str]:
    """The public functions and classes `module` defines (not those it imports)."""
    return [
        name
        for name, value in vars(module).items()
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


def _callable_name(func: Callable) -> str:
    # As trl's get_callable_name: a partial logs under the function it wraps, an instance under its class.
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


def load_user_reward(reference: str) -> Callable:
    """The function `reference` names, imported and checked to accept the keywords trl passes to every reward."""
    target, attribute = _split(reference)
    module = _import_file(reference, target) if _is_file(target) else _import_module(reference, target)
    if not hasattr(module, attribute):
        close = difflib.get_close_matches(attribute, _callables_of(module), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        functions = ", ".join(sorted(_callables_of(module))) or "none"
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: {target} has no `{attribute}`.{hint} Its functions: {functions}."
        )
    func = getattr(module, attribute)
    if not callable(func):
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: `{attribute}` is a {type(func).__name__}, not a function. {_FIX}"
        )
    if _callable_name(func) == "<lambda>":
        # trl logs each reward as rewards/<__name__>/mean: a lambda takes the name it was given in its module.
        func.__name__ = func.__qualname__ = attribute
    _check_signature(reference, func)
    return func


def _check_signature(reference: str, func: Callable) -> None:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # a builtin without a signature: the call on a row shows whether it works
        return
    parameters = signature.parameters.values()
    positional_only = [p.name for p in parameters if p.kind is p.POSITIONAL_ONLY and p.default is p.empty]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    named = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    missing = [keyword for keyword in TRL_KEYWORDS if keyword not in named]
    if positional_only or (missing and not takes_any):
        problem = f"{', '.join(positional_only)} positional-only" if positional_only else "no **kwargs"
        raise UserRewardError(
            f"Reward `{reference}` in `reward_funcs`: {_callable_name(func)}{signature} cannot take the keywords trl "
            f"passes to every reward ({', '.join(TRL_KEYWORDS)} and one per dataset column): it has {problem}. "
            f"Write it as `def {_callable_name(func)}(completions, **kwargs)`."
        )


def check_user_rewards_on_a_row(names: list[str], funcs: list[Callable], dataset, tokenizer, split: str) -> None:
    """Calls every user reward of `names` (paired with `funcs`, as get_reward_funcs built them) as trl's GRPOTrainer
    would, on the first row of `dataset` (the train split, prompts already chats), and fails on what trl would fail
    on later, or train on silently: an exception, a result that is not one float, int or None per completion."""
    user = [(name, func) for name, func in zip(names, funcs) if is_user_reward(name)]
    if not user:
        return
    row = next(iter(dataset))
    kwargs, described = _trl_call_keywords(row, tokenizer)
    where = f"row 0 of the {split} split, with {described}"
    for name, func in user:
        call_reward_as_trl(name, func, kwargs, where, [c for c in row if c not in _NOT_PASSED])


def _trl_call_keywords(row: dict, tokenizer) -> tuple[dict[str, Any], str]:
    """The keywords trl 1.16's `_calculate_rewards` passes, for two completions of `row`: the row's reference answer
    and an empty one (the same prompt twice, as in a group of generations)."""
    column = next((c for c in REFERENCE_COLUMNS if isinstance(row.get(c), str)), None)
    texts = [row[column] if column else "", ""]
    described = (
        f"the row's `{column}` and an empty completion"
        if column
        else f"two empty completions (the row has no {' or '.join(REFERENCE_COLUMNS)} column to write as one)"
    )
    return trl_reward_keywords(row, texts, tokenizer), described


def trl_reward_keywords(row: dict, texts: list[str], tokenizer) -> dict[str, Any]:
    """The keywords trl 1.16's `_calculate_rewards` passes for the completions `texts` of `row`'s prompt (a group of
    generations): every column but the prompt as a list, the prompts, the completions (assistant turns when the
    prompt is a chat), their token ids, and trl's helpers."""
    from transformers import TrainerState
    from trl.data_utils import is_conversational

    conversational = is_conversational({"prompt": row["prompt"]})
    completions = [[{"role": "assistant", "content": text}] for text in texts] if conversational else list(texts)
    kwargs = {key: [row[key]] * len(texts) for key in row if key not in _NOT_PASSED}
    kwargs.update(
        prompts=[row["prompt"]] * len(texts),
        completions=completions,
        completion_ids=[tokenizer(text=text, add_special_tokens=False)["input_ids"] for text in texts],
        trainer_state=TrainerState(),
        log_extra=_log_extra,
        log_metric=_log_metric,
    )
    return kwargs


def _log_extra(column: str, values: list) -> None:
    """trl's `log_extra(column, values)`: here only its signature, so a wrong call fails now, not in training."""


def _log_metric(name: str, value: float) -> None:
    """trl's `log_metric(name, value)`: here only its signature."""


def call_reward_as_trl(name: str, func: Callable, kwargs: dict[str, Any], where: str, columns: list[str]) -> list:
    """`func(**kwargs)` as trl calls a reward (awaited when it is `async def`), its result checked to be one float,
    int or None per completion; anything else is a UserRewardError naming `name`, `where` and the fix."""
    from trl.trainer.utils import is_async_callable  # how trl decides to await a reward

    try:
        # Bound first: a missing or unknown keyword is the signature's fault, not something the function raised.
        inspect.signature(func).bind(**kwargs)
    except TypeError as error:
        if str(error).startswith("missing a required argument: "):
            needed = str(error).removeprefix("missing a required argument: ").strip("'")
            raise UserRewardError(
                f"Reward `{name}` needs the argument `{needed}`, which trl does not pass: it is not a column of the "
                f"dataset (columns: {', '.join(columns)}). Rename the parameter to one of them, give it a default, or "
                f"read it from **kwargs."
            ) from error
        raise UserRewardError(f"Reward `{name}` cannot take trl's keywords: {error}. {_FIX}") from error
    except ValueError:  # no signature to bind (a builtin): the call itself shows
        pass
    try:
        result = func(**kwargs)
        if inspect.isawaitable(result):
            if not is_async_callable(func):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited, on purpose: no "coroutine was never awaited" warning
                raise UserRewardError(
                    f"Reward `{name}` returned an awaitable, but is not an `async def` function: trl awaits only "
                    "those and would train on the coroutine. Declare it `async def`."
                )
            result = asyncio.run(_awaited(result))  # trl runs an async reward on its own event loop, likewise
    except UserRewardError:
        raise
    except Exception as error:
        path = _source_path(func)
        raise UserRewardError(
            f"Reward `{name}` raised {_described(error, path)} when called as trl calls it, on {where}. A reward "
            "scores a completion it cannot judge 0 or None; it never raises into the trainer."
        ) from error
    _check_result(name, result, len(kwargs["completions"]), where)
    return list(result)


async def _awaited(awaitable):
    return await awaitable


def _source_path(func: Callable) -> Path | None:
    try:
        source = inspect.getsourcefile(inspect.unwrap(func))
    except TypeError:
        return None
    return Path(source).resolve() if source else None


def _check_result(name: str, result: Any, expected: int, where: str) -> None:
    shown = repr(result) if len(repr(result)) <= 80 else repr(result)[:80] + "..."
    fix = (
        "Return one float (or None, to skip the completion) per completion: `return [score(c) for c in completions]`."
    )
    if not isinstance(result, list | tuple):
        raise UserRewardError(
            f"Reward `{name}` returned {shown} (a {type(result).__name__}, not a list) for {expected} completions, on "
            f"{where}. {fix}"
        )
    if len(result) != expected:
        raise UserRewardError(
            f"Reward `{name}` returned {len(result)} value(s) {shown} for {expected} completions, on {where}. {fix}"
        )
    for index, value in enumerate(result):
        if value is not None and not isinstance(value, numbers.Real):
            raise UserRewardError(
                f"Reward `{name}` returned {shown} on {where}: value {index} is a {type(value).__name__} "
                f"({value!r}), not a float, int or None. {fix}"
            )
