"""The code reward runs programs in each language it accepts, both where the local sandbox judges and where a remote
sandbox runs the evaluation script's text; a language it cannot run fails with the reward to use instead."""

import shutil
import subprocess
import sys

import pytest

from open_r1.rewards import code_reward
from open_r1.utils.code_execution.evaluation_script import code_evaluation_script


DOUBLE = {
    "python": "print(int(input()) * 2)",
    "javascript": "const x = parseInt(require('fs').readFileSync(0, 'utf8')); console.log(x * 2);",
    "bash": "read x; echo $((x * 2))",
    "r": "x <- as.integer(readLines(file('stdin'), n = 1)); cat(x * 2, '\\n')",
}
INTERPRETER = {"python": "python3", "javascript": "node", "bash": "bash", "r": "Rscript"}
TESTS = [{"input": "4\n", "output": "8\n"}, {"input": "21\n", "output": "42\n"}]


def _needs(language: str):
    return pytest.mark.skipif(
        shutil.which(INTERPRETER[language]) is None, reason=f"{INTERPRETER[language]} is not installed here"
    )


LANGUAGES = [pytest.param(language, marks=_needs(language)) for language in DOUBLE]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_right_program_passes_on_the_local_sandbox(language):
    completion = f"<think>\nx\n</think>\n<answer>\n```{language}\n{DOUBLE[language]}\n```\n</answer>"
    info = {"language": language, "test_cases": TESTS}
    assert code_reward([completion], provider_type="local", timeout_s=5.0, verification_info=[info]) == [1.0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_right_program_passes_in_the_script_a_remote_sandbox_runs(language):
    script = code_evaluation_script(DOUBLE[language], TESTS, language)
    done = subprocess.run([sys.executable, "-c", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "1.0"


def test_a_language_without_an_interpreter_names_the_judges():
    with pytest.raises(ValueError) as error:
        code_evaluation_script("int main() {}", TESTS, "cpp")
    assert str(error.value) == (
        "The code reward runs ['bash', 'javascript', 'python', 'r'] programs; 'cpp' needs a judge "
        "(use ioi_code or cf_code)."
    )


def test_no_test_cases_is_an_error_not_a_free_reward():
    with pytest.raises(ValueError) as error:
        code_evaluation_script("print(1)", [])
    assert str(error.value) == "verification_info has no test_cases: there is nothing to run the program against."
