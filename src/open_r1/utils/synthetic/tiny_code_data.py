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
"""A tiny dataset of Python problems with tests, in the shape of open-r1's code datasets, built offline.

    python -m open_r1.utils.synthetic.tiny_code_data data/tiny/code.jsonl

Columns: `problem` (the prompt), `verification_info` ({"language": "python", "test_cases": [{"input", "output"}]},
what the `code` reward runs) and `solution` (a reference program that passes every test, for tests and sanity
checks). recipes/tiny/grpo/config_code.yaml trains the tiny model on it with the local sandbox.
"""

import json
import os
import random
import sys


# (statement, reference solution, input generator, answer) per kind of problem.
def _sum_two(rng: random.Random):
    a, b = rng.randint(-99, 99), rng.randint(-99, 99)
    return f"{a} {b}\n", f"{a + b}\n"


def _max_of_list(rng: random.Random):
    values = [rng.randint(-50, 50) for _ in range(rng.randint(1, 6))]
    return f"{len(values)}\n{' '.join(map(str, values))}\n", f"{max(values)}\n"


def _reverse_word(rng: random.Random):
    word = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 8)))
    return f"{word}\n", f"{word[::-1]}\n"


def _count_down(rng: random.Random):
    n = rng.randint(1, 5)
    return f"{n}\n", "".join(f"{i}\n" for i in range(n, 0, -1))


PROBLEMS = {
    "sum_two": (
        "Read two integers a and b on one line and print a + b.",
        "a, b = map(int, input().split())\nprint(a + b)\n",
        _sum_two,
    ),
    "max_of_list": (
        "Read n, then n integers on the next line, and print the largest of them.",
        "input()\nprint(max(map(int, input().split())))\n",
        _max_of_list,
    ),
    "reverse_word": ("Read a word and print it reversed.", "print(input().strip()[::-1])\n", _reverse_word),
    "count_down": (
        "Read n and print n, n - 1, ..., 1, one number per line.",
        "n = int(input())\nfor i in range(n, 0, -1):\n    print(i)\n",
        _count_down,
    ),
}


def code_problem(rng: random.Random, kind: str, num_tests: int = 3) -> dict:
    statement, solution, make_case = PROBLEMS[kind]
    cases = [make_case(rng) for _ in range(num_tests)]
    prompt = (
        f"{statement}\nWrite a Python program that reads standard input and writes standard output. "
        "Put it in a ```python code block."
    )
    return {
        "problem": prompt,
        "verification_info": {
            "language": "python",
            "test_cases": [{"input": given, "output": expected} for given, expected in cases],
        },
        "solution": solution,
    }


def build_tiny_code_dataset(path: str, rows: int = 64, seed: int = 0, num_tests: int = 3) -> str:
    """Writes `rows` problems (cycling through PROBLEMS) to the JSON-lines file `path`; returns the path."""
    rng = random.Random(seed)
    kinds = sorted(PROBLEMS)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as file:
        for i in range(rows):
            file.write(json.dumps(code_problem(rng, kinds[i % len(kinds)], num_tests)) + "\n")
    return path


if __name__ == "__main__":
    print(build_tiny_code_dataset(sys.argv[1] if len(sys.argv) > 1 else "data/tiny/code.jsonl"))
