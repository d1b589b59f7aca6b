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
"""The reward preflight: a GRPO recipe's rewards scored on N rows of its own dataset, before any training.

    python -m open_r1.check_recipe --config RECIPE.yaml --sample 50 [--option value ...]
    make check-recipe RECIPE=RECIPE.yaml SAMPLE=50

Runs trained for hours on a reward that was always 0 or always 1: a format check that could never match, a
verifier called with its arguments swapped, a prompt whose chat template already opens `<think>`, a code reward that
failed every language but one, gold answers that do not parse. Each of those shows on the data in seconds. For every
sampled row, three completions of its prompt (the recipe's chat template and system prompt applied, as grpo.py
builds them) are scored by every reward of the recipe, called exactly as trl 1.16 calls a reward
(`rewards.user.call_reward_as_trl`):

- the row's reference, written in the recipe's format: `<think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>`,
  without the leading `<think>\\n` where the generation prompt already opens it. A math row's answer is its
  `solution` (boxed if it is not); a code row's is its reference program (`gold_standard_solution` or `solution`)
  in a fenced block of the row's language;
- a wrong answer, in the same format: the gold's final number plus one, or `\\boxed{-12345}` when the gold is not a
  number; for code, a program that exits without printing;
- an empty completion (a model writes those too).

How each reward is judged (what a reward is for decides what "cannot tell right from wrong" means):

- correctness rewards (`accuracy`, `cosine`, `code`, `binary_code`, `ioi_code`, `cf_code`) must score the reference
  above the wrong answer on at least half of the sampled rows; a row they cannot score (None: an unparseable gold,
  a program that could not run) counts against them;
- format rewards (`format`, `tag_count`, `code_format`) and the user's own rewards must give the three completions
  different values on at least half of the rows (the reference is in the format, the empty completion is not);
- shaping rewards (`length`, `reasoning_steps`, `repetition_penalty`, `soft_overlong_punishment`) are reported
  only: they follow length, steps or repetition, which three short completions need not vary.

The exit status is 1 when a reward fails its rule (or the data, tokenizer or rewards cannot be loaded), else 0.
Golds that do not parse, rewards that score the reference below the wrong answer and code rows whose reference fails
its own tests are reported either way, with examples. `ioi_code` and `cf_code` are not scored: their rows carry no
reference program in a standard column, and their judges need Piston.

A local dataset is read as training reads it (utils/data.get_dataset); a hub dataset is streamed, so only the N rows
are downloaded. The rows are the first N of the train split.
"""

import itertools
import math
import os
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from open_r1.configs import GRPOConfig, GRPOScriptArguments
from open_r1.rewards import get_reward_funcs
from open_r1.rewards.code import extract_code
from open_r1.rewards.user import REFERENCE_COLUMNS, call_reward_as_trl, is_user_reward, trl_reward_keywords
from open_r1.utils.inputs import looks_like_local_dataset


CORRECTNESS = ("accuracy", "cosine", "code", "binary_code", "ioi_code", "cf_code")
FORMAT = ("format", "tag_count", "code_format")
SHAPING = ("length", "reasoning_steps", "repetition_penalty", "soft_overlong_punishment")
NOT_SCORED = ("ioi_code", "cf_code")
MATH = ("accuracy", "cosine", "length")  # they read the gold from `solution`
CODE = ("code", "binary_code")  # they run a program against the row's `verification_info`
PROGRAM_COLUMNS = ("gold_standard_solution", "solution", "reference_solution", "canonical_solution")
# A program that exits at once without printing: wrong on any test that expects output.
SILENT_PROGRAMS = {
    "python": "import sys\nsys.exit(0)\n",
    "javascript": "process.exit(0);\n",
    "r": "quit(status = 0)\n",
    "bash": "exit 0\n",
}
REASONING = "Working towards the reference answer of this row."
NOT_A_NUMBER_ANSWER = "-12345"
COMPLETIONS = ("reference", "wrong", "empty")


@dataclass
class RowScores:
    index: int
    values: list[float | None] | None = None  # reference, wrong, empty
    error: str | None = None
    seconds: float = 0.0


@dataclass
class RewardResult:
    name: str
    kind: str  # correctness, format, user, shaping, not scored
    rows: list[RowScores] = field(default_factory=list)

    def unscored(self) -> list[RowScores]:
        return [r for r in self.rows if r.error is not None or r.values[0] is None]

    def better(self) -> list[RowScores]:
        return [r for r in self.rows if r.error is None and _gt(r.values[0], r.values[1])]

    def worse(self) -> list[RowScores]:
        return [r for r in self.rows if r.error is None and _gt(r.values[1], r.values[0])]

    def same(self) -> list[RowScores]:
        """Rows where the three completions score alike (a reward that raised tells nothing either)."""
        return [r for r in self.rows if r.error is not None or len(set(r.values)) == 1]

    def failure(self) -> str | None:
        """Why this reward cannot be trained on, by the rule of its kind; None when it passes."""
        n = len(self.rows)
        if self.kind == "correctness" and 2 * len(self.better()) < n:
            return (
                f"cannot tell right from wrong: it scores the reference above the wrong answer on "
                f"{len(self.better())} of {n} rows (at least half needed)"
            )
        if self.kind in ("format", "user") and 2 * (n - len(self.same())) < n:
            return (
                f"no signal: it gives all three completions the same value on {len(self.same())} of {n} rows "
                "(different values on at least half needed)"
            )
        return None


def _gt(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and a > b


def kind_of(name: str) -> str:
    if name in NOT_SCORED:
        return "not scored"
    if name in CORRECTNESS:
        return "correctness"
    if name in FORMAT:
        return "format"
    if name in SHAPING:
        return "shaping"
    return "user" if is_user_reward(name) else "shaping"


# ----------------------------------------------------------------------------------------------------------------
# The three completions of a row


def opens_think(tokenizer, prompt: list[dict]) -> bool:
    """Whether the chat template's generation prompt already opens the reasoning block (DeepSeek-R1-Distill's)."""
    rendered = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
    return rendered.rstrip().endswith("<think>")


def in_recipe_format(answer: str, prefilled: bool) -> str:
    text = f"<think>\n{REASONING}\n</think>\n<answer>\n{answer}\n</answer>"
    return text.removeprefix("<think>\n") if prefilled else text


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` of `text` (braces balanced), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, position = 0, start + len("\\boxed")
    for index in range(position, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[position + 1 : index]
    return None


def wrong_math_answer(gold: str) -> str:
    """An answer surely different from `gold`'s: its final number plus one, else a number no gold of ours is."""
    final = (last_boxed(gold) or gold).strip().strip("$").strip().replace(",", "").replace("{,}", "")
    try:
        value = float(final)
    except ValueError:
        return f"The answer is $\\boxed{{{NOT_A_NUMBER_ANSWER}}}$."
    if not math.isfinite(value):
        return f"The answer is $\\boxed{{{NOT_A_NUMBER_ANSWER}}}$."
    wrong = value + 1
    shown = str(int(wrong)) if wrong == int(wrong) and "." not in final else f"{wrong:g}"
    return f"The answer is $\\boxed{{{shown}}}$."


def math_reference(gold: str) -> str:
    if "\\boxed" in gold:
        return gold
    return f"The answer is $\\boxed{{{gold.strip().strip('$').strip()}}}$."


def _language(row: dict, script_args: GRPOScriptArguments) -> str:
    info = row.get("verification_info")
    if isinstance(info, str):
        import json

        try:
            info = json.loads(info)
        except ValueError:
            info = None
    if isinstance(info, dict) and isinstance(info.get("language"), str):
        return info["language"]
    return script_args.code_language


def reference_program(row: dict, language: str) -> tuple[str | None, str | None]:
    """(column, program) of the row's reference solution, unfenced; (None, None) when it has none."""
    for column in PROGRAM_COLUMNS:
        text = row.get(column)
        if isinstance(text, str) and text.strip():
            if "```" in text:
                fenced = extract_code(text, language) or extract_code(text, "")
                return column, fenced or None
            return column, text
    return None, None


@dataclass
class RowCompletions:
    texts: list[str]  # reference, wrong, empty
    gold_column: str | None
    gold: str | None


def row_completions(row: dict, script_args: GRPOScriptArguments, prefilled: bool) -> RowCompletions:
    names = script_args.reward_funcs
    if any(name in CODE for name in names):
        language = _language(row, script_args)
        column, program = reference_program(row, language)
        reference = f"```{language}\n{program or ''}\n```"
        wrong = f"```{language}\n{SILENT_PROGRAMS.get(language, '')}```"
        gold = program
    else:
        column = (
            "solution"
            if any(name in MATH for name in names)
            else next((c for c in REFERENCE_COLUMNS if isinstance(row.get(c), str)), None)
        )
        gold = row.get(column) if column else None
        gold = None if gold is None else str(gold)
        reference = math_reference(gold) if gold is not None else ""
        wrong = wrong_math_answer(gold if gold is not None else "")
    return RowCompletions(
        [in_recipe_format(reference, prefilled), in_recipe_format(wrong, prefilled), ""], column, gold
    )


# ----------------------------------------------------------------------------------------------------------------
# Loading and scoring


def sample_rows(script_args: GRPOScriptArguments, sample: int):
    """The first `sample` rows of the train split: a local dataset as training reads it, a hub one streamed."""
    from datasets import Dataset, DatasetDict, load_dataset

    from open_r1.utils.data import get_dataset

    split = script_args.dataset_train_split
    name = script_args.dataset_name
    if script_args.dataset_mixture is None and not os.path.exists(name) and not looks_like_local_dataset(name):
        stream = load_dataset(name, script_args.dataset_config, split=split, streaming=True)
        return DatasetDict({split: Dataset.from_list(list(itertools.islice(stream, sample)))})
    dataset = get_dataset(script_args)
    if split not in dataset:
        raise ValueError(f"The dataset has no {split!r} split (its splits: {list(dataset)}): set dataset_train_split.")
    part = dataset[split]
    return DatasetDict({split: part.select(range(min(sample, len(part))))})


def score_rows(
    names: list[str], funcs: list[Callable], rows: list[dict], completions: list[RowCompletions], tokenizer
) -> list[RewardResult]:
    results = [RewardResult(name, kind_of(name)) for name in names]
    for index, (row, written) in enumerate(zip(rows, completions)):
        kwargs = trl_reward_keywords(row, written.texts, tokenizer)
        columns = [c for c in row if c not in ("prompt", "completion", "completion_ids")]
        for result, func in zip(results, funcs):
            if result.kind == "not scored":
                continue
            scores = RowScores(index)
            started = time.perf_counter()
            try:
                scores.values = call_reward_as_trl(
                    result.name, func, dict(kwargs), f"row {index} of the preflight", columns
                )
            except Exception as error:  # reported per row: one bad row must not hide the others
                scores.error = str(error)
            scores.seconds = time.perf_counter() - started
            result.rows.append(scores)
    return results


# ----------------------------------------------------------------------------------------------------------------
# The report


def _wrapped(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text,
        116,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _ends(text: str, each: int = 44) -> str:
    """Its start and end: the format's opening and the answer."""
    return repr(text) if len(text) <= 2 * each + 5 else f"{text[:each]!r} ... {text[-each:]!r}"


def _tail(text: str | None, limit: int = 70) -> str:
    """The end of a gold, where its final answer is."""
    return repr(text) if text is None or len(text) <= limit else "'..." + repr(text[-(limit - 4) :])[1:]


def _value(value: float | None) -> str:
    return "None" if value is None else f"{value:.3g}"


def _mean(values: list[float | None]) -> str:
    numbers = [v for v in values if v is not None]
    return f"{sum(numbers) / len(numbers):.2f}" if numbers else "-"


def _row_line(scores: RowScores) -> str:
    if scores.error is not None:
        return f"row {scores.index}: raised: {scores.error}"
    return f"row {scores.index}: " + ", ".join(
        f"{label} {_value(value)}" for label, value in zip(COMPLETIONS, scores.values)
    )


def _table(results: list[RewardResult], n: int) -> list[str]:
    header = ["reward", "judged as", "not scored", "ref>wrong", "ref<wrong", "all 3 equal", "mean ref/wrong/empty"]
    header += ["ms/row", "verdict"]
    lines = [header]
    for result in results:
        if result.kind == "not scored":
            lines.append([result.name, result.kind, "-", "-", "-", "-", "-", "-", "not scored"])
            continue
        rows = [r for r in result.rows if r.error is None]
        means = "/".join(_mean([r.values[i] for r in rows]) for i in range(3))
        ms = 1000 * sum(r.seconds for r in result.rows) / max(1, len(result.rows))
        verdict = "FAIL" if result.failure() else ("reported only" if result.kind == "shaping" else "ok")
        lines.append(
            [
                result.name,
                result.kind,
                f"{len(result.unscored())}/{n}",
                f"{len(result.better())}/{n}",
                f"{len(result.worse())}/{n}",
                f"{len(result.same())}/{n}",
                means,
                f"{ms:.1f}",
                verdict,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]


def _examples(rows: list[RowScores], golds: list[RowCompletions] | None = None, limit: int = 3) -> list[str]:
    shown = [f"      {_row_line(r)}" + (f"; gold {_tail(golds[r.index].gold)}" if golds else "") for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(f"      ... and {len(rows) - limit} more")
    return shown


def _gold_problems(results: list[RewardResult], completions: list[RowCompletions]) -> list[tuple[int, str]]:
    """Rows whose gold cannot be used: missing, or a math or code reward could not score the reference."""
    problems: dict[int, str] = {}
    for index, written in enumerate(completions):
        if written.gold is None or not written.gold.strip():
            column = written.gold_column or "reference"
            problems[index] = f"no {column}" if written.gold_column is None else f"`{column}` is empty"
    for result in results:
        if result.name not in MATH + CODE:
            continue
        for scores in result.unscored():
            gold = completions[scores.index].gold
            reason = scores.error or f"{result.name} scores its reference None"
            problems.setdefault(scores.index, f"{reason}; gold {_tail(gold)}")
    return sorted(problems.items())


def _hint(result: RewardResult, prefilled: bool, script_args: GRPOScriptArguments) -> str | None:
    if result.kind == "format" and prefilled and not script_args.format_think_prefilled:
        return (
            "The chat template's generation prompt already opens <think>, so completions start inside the reasoning "
            "block and the format can never match: set `format_think_prefilled: true`, or a chat template that "
            "leaves <think> to the completion."
        )
    if result.kind == "correctness" and result.worse():
        return (
            "It scores the reference below the wrong answer: are the gold and the answer passed the right way round?"
        )
    if result.kind == "correctness" and len(result.unscored()) * 2 >= len(result.rows):
        return "Most references score None: the golds do not parse, or the reward cannot run here (see the rows)."
    return None


def preflight(
    script_args: GRPOScriptArguments,
    training_args: GRPOConfig,
    model_args,
    sample: int,
    source: str,
    out: TextIO | None = None,
) -> int:
    """Scores `sample` rows of the recipe's dataset with its rewards; prints the report, returns the exit status."""
    import sys

    from open_r1.utils.data import make_conversation
    from open_r1.utils.model_utils import get_tokenizer

    out = out or sys.stdout
    if sample < 1:
        print(f"Reward preflight of {source}: FAILED: --sample must be at least 1, got {sample}.", file=out)
        return 1
    started = time.perf_counter()
    dataset_name = script_args.dataset_name or "the dataset mixture"
    try:
        dataset = sample_rows(script_args, sample)
        dataset = make_conversation(dataset, script_args.dataset_prompt_column, training_args.system_prompt)
        rows = list(dataset[script_args.dataset_train_split])
        if not rows:
            raise ValueError(f"the {script_args.dataset_train_split!r} split of {dataset_name} has no rows")
        tokenizer = get_tokenizer(model_args, training_args)
        funcs = get_reward_funcs(script_args)
    except Exception as error:  # the data, the tokenizer or a reward cannot be loaded: nothing to score
        print(f"Reward preflight of {source}: FAILED: {type(error).__name__}: {error}", file=out)
        return 1
    loaded_s = time.perf_counter() - started

    prefilled = opens_think(tokenizer, rows[0]["prompt"])
    completions = [row_completions(row, script_args, prefilled) for row in rows]
    scoring_started = time.perf_counter()
    results = score_rows(script_args.reward_funcs, funcs, rows, completions, tokenizer)
    per_row_ms = 1000 * (time.perf_counter() - scoring_started) / len(rows)
    n = len(rows)

    split = script_args.dataset_train_split
    system = "the recipe's system prompt" if training_args.system_prompt else "no system prompt"
    opening = (
        "opens <think>: completions start inside the reasoning block"
        if prefilled
        else "does not open <think>: completions write it"
    )
    header = [
        f"Reward preflight of {source}: the first {n} rows of {dataset_name} ({split} split).",
        "Every reward, called as trl calls it, scores three completions of each row's prompt: its reference "
        f"(`{completions[0].gold_column or 'none'}`) in the recipe's format, a wrong answer, and an empty one.",
        f"Prompt: {model_args.model_name_or_path}'s chat template, {system}; the generation prompt {opening} "
        f"(format_think_prefilled: {str(script_args.format_think_prefilled).lower()}).",
    ]
    for line in header:
        print(_wrapped(line), file=out)
    print(f"Row 0, reference: {_ends(completions[0].texts[0])}", file=out)
    print(f"Row 0, wrong:     {_ends(completions[0].texts[1])}", file=out)
    print("", file=out)
    for line in _table(results, n):
        print(line, file=out)

    golds = _gold_problems(results, completions)
    print(
        f"\nGolds that do not parse: {len(golds)} of {n} rows" if golds else "\nGolds that do not parse: none",
        file=out,
    )
    for index, reason in golds[:3]:
        print(f"      row {index}: {reason}", file=out)
    if len(golds) > 3:
        print(f"      ... and {len(golds) - 3} more", file=out)
    code_results = [r for r in results if r.name in CODE]
    if code_results:
        failing = sorted(
            {s.index for r in code_results for s in r.rows if s.error is None and (s.values[0] or 0.0) < 1.0}
        )
        print(
            f"Code rows whose reference fails its own tests: {len(failing)} of {n}"
            + (
                f" (rows {', '.join(map(str, failing[:10]))}{', ...' if len(failing) > 10 else ''})" if failing else ""
            ),
            file=out,
        )

    failures = [(result, result.failure()) for result in results if result.failure()]
    notes = []
    for result in results:
        if result.kind == "not scored":
            notes.append(f"  {result.name}: not scored (no standard reference column, and its judge needs Piston).")
            continue
        problem = result.failure()
        worse = result.worse() if result.kind != "shaping" else []  # a longer reference may score lower there
        correctness = result.kind == "correctness"
        # A correctness reward that passes may still miss rows: each is a row it would train on wrongly.
        missed = [r for r in result.rows if r not in result.better() and r not in worse] if correctness else []
        unscored = result.unscored() if result.kind == "user" else []
        if problem is None and not worse and not missed and not unscored:
            continue
        notes.append(_wrapped(f"{result.name}: {problem or 'passes, but:'}", "  "))
        golds = completions if correctness else None
        if worse:
            notes.append(f"    scores the reference below the wrong answer on {len(worse)} rows:")
            notes += _examples(worse, golds)
        if missed:
            more = " more" if worse else ""
            notes.append(f"    does not score the reference above the wrong answer on {len(missed)}{more} rows:")
            notes += _examples(missed, golds)
        elif problem and result.kind in ("format", "user"):
            notes += _examples(result.same())
        elif unscored:
            notes.append(f"    cannot score the reference on {len(unscored)} rows:")
            notes += _examples(unscored)
        hint = _hint(result, prefilled, script_args)
        if hint:
            notes.append(_wrapped(hint, "    "))
    if notes:
        print("\nDetails:", file=out)
        for line in notes:
            print(line, file=out)

    print(
        f"\nTime per row: {per_row_ms:.1f} ms for its {len(funcs)} rewards (loading the data, tokenizer and rewards: "
        f"{loaded_s:.1f} s)",
        file=out,
    )
    if failures:
        verdict = f"FAILED: {', '.join(result.name for result, _ in failures)} cannot be trained on: " + "; ".join(
            f"{result.name} {problem}" for result, problem in failures
        )
        print("\n" + _wrapped(verdict + "."), file=out)
        return 1
    verdict = (
        "OK: every correctness reward scores the reference above the wrong answer, and every format reward tells the "
        "three completions apart, on at least half the rows."
    )
    print("\n" + _wrapped(verdict), file=out)
    return 0
