"""A recipe's own rewards, `module:function` and `file.py:function` beside the registry's names (README: Writing your
own reward): trl trains with them and logs them by name, and each way one can be broken stops the run in seconds
with one line naming it as the recipe wrote it, before the model loads.

The rewards live in a temporary folder that is the runs' working directory, where users keep theirs: a module there
imports as `module:function`, a file there loads as `file.py:function`.
"""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO_ROOT, entry_point_env, tiny_overrides


GRPO = str(REPO_ROOT / "src" / "open_r1" / "grpo.py")
GRPO_RECIPE = str(REPO_ROOT / "recipes" / "tiny" / "grpo" / "config_demo.yaml")

# A module (imported as my_rewards:...) that records each call's keywords, so a test can compare the call made
# before the model loaded with the calls trl made in training.
MY_REWARDS = """
import json, os

def short_reward(completions, answer, trainer_state, log_metric, **kwargs):
    with open(os.environ["REWARD_CALLS"], "a") as calls:
        record = {"n": len(completions), "answer": answer, "step": trainer_state.global_step}
        record["keywords"] = sorted([*kwargs, "completions", "answer", "trainer_state", "log_metric"])
        record["completion"] = completions[0]
        calls.write(json.dumps(record) + "\\n")
    log_metric("short_reward/calls", 1.0)
    return [1.0 if len(c[0]["content"]) < 40 else 0.0 for c in completions]

# trl logs a reward under its __name__: a lambda's would be "<lambda>".
lambda_reward = lambda completions, **kwargs: [0.5 for _ in completions]  # noqa: E731
"""

FILE_REWARDS = """
import asyncio

async def async_reward(completions, **kwargs):  # trl awaits it on its own event loop
    await asyncio.sleep(0)
    return [float(len(c[0]["content"]) % 2) for c in completions]
"""

# Broken rewards, each the way users break them.
BROKEN = """
def no_kwargs(completions):
    return [0.0 for _ in completions]

def one_value(completions, **kwargs):
    return [1.0]

def strings(completions, **kwargs):
    return ["1.0" for _ in completions]

def a_number(completions, **kwargs):
    return 0.5

def raises(completions, **kwargs):
    return [float(c[0]["content"].split()[0]) for c in completions]

def needs_gold(completions, gold, **kwargs):
    return [0.0 for _ in completions]

def returns_a_coroutine(completions, **kwargs):
    async def scores():
        return [0.0 for _ in completions]
    return scores()
"""


@pytest.fixture(scope="module")
def rewards_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("user_rewards")
    (folder / "my_rewards.py").write_text(textwrap.dedent(MY_REWARDS))
    (folder / "file_rewards.py").write_text(textwrap.dedent(FILE_REWARDS))
    (folder / "broken.py").write_text(textwrap.dedent(BROKEN))
    (folder / "fails_to_import.py").write_text("import json\n\nVALUE = json.loads('{not json')\n")
    return folder


def grpo(folder: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, GRPO, "--config", GRPO_RECIPE, *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def rewards(*names: str) -> list[str]:
    return ["--reward_funcs", *names, "--reward_weights", *["1"] * len(names)]


def test_user_rewards_train_beside_the_registry_and_are_logged_by_name(rewards_folder, tiny_world, tmp_path):
    env = {**entry_point_env(), "REWARD_CALLS": str(tmp_path / "calls.jsonl")}
    output_dir = tmp_path / "run"
    names = ["accuracy", "my_rewards:short_reward", "file_rewards.py:async_reward", "my_rewards:lambda_reward"]
    result = grpo(
        rewards_folder,
        *tiny_overrides(tiny_world, output_dir, "grpo"),
        *rewards(*names),
        *("--max_steps", "1", "--save_strategy", "no"),
        env=env,
    )
    assert result.returncode == 0, result.stdout[-4000:]

    logged = json.loads((output_dir / "trainer_state.json").read_text())["log_history"][0]
    for name in ("accuracy_reward", "short_reward", "async_reward", "lambda_reward"):
        assert f"rewards/{name}/mean" in logged, sorted(logged)
    assert logged["rewards/lambda_reward/mean"] == 0.5
    assert logged["short_reward/calls"] == 1.0  # log_metric reached trl's logs

    first, *training = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    # The call before the model loaded: one real row, its solution and an empty reply, as trl writes completions.
    assert first["n"] == 2 and first["answer"][0] == first["answer"][1]
    assert first["completion"][0]["role"] == "assistant" and "The answer is" in first["completion"][0]["content"]
    # Then trl's: one batch of 8 completions (2 prompts x 4 generations), with the very same keywords.
    assert [call["n"] for call in training] == [8]
    expected = ["answer", "completion_ids", "completions", "log_extra", "log_metric", "problem", "prompts"]
    expected += ["solution", "trainer_state"]
    assert first["keywords"] == training[0]["keywords"] == expected


# Broken before torch is imported: an import that fails here ends in that ImportError instead of the message, so each
# of these shows the model never loaded, whatever the machine's load.


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "no_such_module:short_reward",
            "Reward `no_such_module:short_reward` in `reward_funcs`: there is no module no_such_module (No module "
            "named 'no_such_module'). A `module:function` reward is imported from the installed packages or the "
            "working directory ({folder}); for a file, write `path/to/file.py:function`.",
        ),
        (
            "my_rewards:shrt_reward",
            "Reward `my_rewards:shrt_reward` in `reward_funcs`: my_rewards has no `shrt_reward`. Did you mean "
            "short_reward? Its functions: lambda_reward, short_reward.",
        ),
        (
            "file_rewrds.py:async_reward",
            "Reward `file_rewrds.py:async_reward` in `reward_funcs`: the file file_rewrds.py does not exist (relative "
            "to the working directory {folder}). Did you mean file_rewards.py?",
        ),
        (
            "fails_to_import.py:reward",
            "Reward `fails_to_import.py:reward` in `reward_funcs`: loading fails_to_import.py raised JSONDecodeError: "
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1) (fails_to_import.py, line 3).",
        ),
        (
            "broken.py:no_kwargs",
            "Reward `broken.py:no_kwargs` in `reward_funcs`: no_kwargs(completions) cannot take the keywords trl passes "
            "to every reward (prompts, completions, completion_ids, trainer_state, log_extra, log_metric and one per "
            "dataset column): it has no **kwargs. Write it as `def no_kwargs(completions, **kwargs)`.",
        ),
    ],
)
def test_a_reward_that_cannot_import_or_take_trls_keywords_fails_before_torch(
    rewards_folder, tiny_world, env_without_torch, name, message
):
    args = [*tiny_overrides(tiny_world, Path("/nonexistent/out"), "grpo"), *rewards("accuracy", name)]
    result = grpo(rewards_folder, *args, env=env_without_torch)
    assert result.returncode == 1, result.stdout
    assert result.stdout.strip().splitlines() == [f"grpo.py: error: {message.format(folder=rewards_folder)}"]


def test_an_unknown_registry_name_still_names_the_nearest(rewards_folder, tiny_world, env_without_torch):
    args = [*tiny_overrides(tiny_world, Path("/nonexistent/out"), "grpo")]
    result = grpo(rewards_folder, *args, *rewards("acuracy", "my_rewards:short_reward"), env=env_without_torch)
    assert result.returncode == 1
    assert result.stdout.startswith("grpo.py: error: Unknown reward function(s) in `reward_funcs`: acuracy (did you")
    assert "or your own function, as `module:function` or `path/to/file.py:function`." in result.stdout


def test_check_recipe_imports_and_checks_a_user_reward(rewards_folder, monkeypatch):
    from open_r1.check_recipe import TASK_CLASSES, check

    monkeypatch.chdir(rewards_folder)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the working directory joins it to import my_rewards
    argv = ["--config", GRPO_RECIPE, "--num_processes", "1", *rewards("accuracy", "my_rewards:short_reward")]
    assert check(TASK_CLASSES["grpo"], argv, out=io.StringIO()) == 0
    out = io.StringIO()
    assert check(TASK_CLASSES["grpo"], [*argv[:4], *rewards("accuracy", "broken.py:no_kwargs")], out=out) == 1
    assert (
        out.getvalue()
        .strip()
        .splitlines()[-1]
        .startswith(
            "FAILED on 1 process: Reward `broken.py:no_kwargs` in `reward_funcs`: no_kwargs(completions) cannot take"
        )
    )


# Broken when called: the run stops once the dataset and tokenizer are loaded, still before the model loads.

ROW = "on row 0 of the train split, with the row's `solution` and an empty completion"
RETURN_FIX = (
    "Return one float (or None, to skip the completion) per completion: `return [score(c) for c in completions]`."
)


def test_a_reward_that_raises_on_a_real_row_stops_before_the_model_loads(rewards_folder, tiny_world):
    args = [*tiny_overrides(tiny_world, Path("/nonexistent/out"), "grpo"), *rewards("accuracy", "broken.py:raises")]
    result = grpo(rewards_folder, *args, env=entry_point_env())
    assert result.returncode == 1, result.stdout[-3000:]
    # The empty completion, which a model writes too, has no first word.
    assert result.stdout.strip().splitlines()[-1] == (
        "grpo.py: error: Reward `broken.py:raises` raised IndexError: list index out of range (broken.py, line 15) "
        f"when called as trl calls it, {ROW}. A reward scores a completion it cannot judge 0 or None; it never raises "
        "into the trainer."
    )
    assert "Loading weights" not in result.stdout  # transformers' weight loading never started


@pytest.fixture(scope="module")
def tiny_row(tiny_world):
    """The train split and tokenizer as grpo.py has them when it calls a user reward on a row."""
    from trl import ModelConfig

    from open_r1.configs import GRPOConfig, GRPOScriptArguments
    from open_r1.utils.data import get_dataset, make_conversation
    from open_r1.utils.model_utils import get_tokenizer

    script_args = GRPOScriptArguments(dataset_name=str(tiny_world / "grpo.jsonl"), dataset_prompt_column="problem")
    dataset = make_conversation(get_dataset(script_args), "problem", None)
    tokenizer = get_tokenizer(ModelConfig(model_name_or_path=str(tiny_world / "model")), GRPOConfig(output_dir="/x"))
    return dataset["train"], tokenizer


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "broken.py:one_value",
            f"Reward `broken.py:one_value` returned 1 value(s) [1.0] for 2 completions, {ROW}. {RETURN_FIX}",
        ),
        (
            "broken.py:strings",
            f"Reward `broken.py:strings` returned ['1.0', '1.0'] {ROW}: value 0 is a str ('1.0'), not a float, int or "
            f"None. {RETURN_FIX}",
        ),
        (
            "broken.py:a_number",
            f"Reward `broken.py:a_number` returned 0.5 (a float, not a list) for 2 completions, {ROW}. {RETURN_FIX}",
        ),
        (
            "broken.py:needs_gold",
            "Reward `broken.py:needs_gold` needs the argument `gold`, which trl does not pass: it is not a column of "
            "the dataset (columns: problem, solution, answer). Rename the parameter to one of them, give it a default, "
            "or read it from **kwargs.",
        ),
        (
            "broken.py:returns_a_coroutine",
            "Reward `broken.py:returns_a_coroutine` returned an awaitable, but is not an `async def` function: trl "
            "awaits only those and would train on the coroutine. Declare it `async def`.",
        ),
    ],
)
def test_the_other_wrong_results_are_named_too(rewards_folder, tiny_row, monkeypatch, name, message):
    # The check grpo.py makes, called in-process (each run of the entry point costs 10-20 s of importing torch and
    # trl on 2 cores): the path from the entry point to it, and the model not loading, are shown by the run above.
    from open_r1.rewards import check_user_rewards_on_a_row, load_user_reward
    from open_r1.rewards.user import UserRewardError

    monkeypatch.chdir(rewards_folder)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the working directory joins it to import my_rewards
    dataset, tokenizer = tiny_row
    with pytest.raises(UserRewardError) as error:
        check_user_rewards_on_a_row([name], [load_user_reward(name)], dataset, tokenizer, "train")
    assert str(error.value) == message


def test_two_rewards_logged_under_one_name_are_refused(rewards_folder, monkeypatch):
    from open_r1.configs import GRPOScriptArguments
    from open_r1.rewards import get_reward_funcs

    monkeypatch.chdir(rewards_folder)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the working directory joins it to import my_rewards
    (rewards_folder / "clash.py").write_text("def format_reward(completions, **kwargs):\n    return [0.0]\n")
    args = GRPOScriptArguments(dataset_name="-", reward_funcs=["format", "clash.py:format_reward"])
    with pytest.raises(ValueError, match=r"both functions named format_reward.*rewards/format_reward/mean"):
        get_reward_funcs(args)
