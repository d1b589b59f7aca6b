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
"""Offline copies of public benchmarks, shipped inside the package (sources, licences, checksums: README.md here).

They make evaluation and decontamination work with no network and nothing beside the repository, from a source
checkout and from an installed package alike:

    from open_r1 import benchmark_data
    benchmark_data.path("aime24.jsonl")    # pathlib.Path of the shipped file
    benchmark_data.rows("math500.jsonl")   # its rows, as dicts
    benchmark_data.DATA_DIR                # the folder: `make evaluate DATA_DIR=...` reads it as it is

Each file is byte-identical to its source (GSM8K's test split included, as realistic clean text for the
decontamination tests and figure); `verify()` checks them against the checksums below.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path


# file -> (rows, sha256 of the bytes); the values of README.md, which says where each file comes from.
FILES = {
    "math500.jsonl": (500, "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132"),
    "aime24.jsonl": (30, "af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac"),
    "aime25.jsonl": (30, "b4e273c02d3e7fe1b74b59eae768fc8230bfb0f79539890cb56f4361caac0331"),
    "gsm8k_test.jsonl": (1319, "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"),
}

# The package is installed unzipped (setup.py: zip_safe=False), so its files are plain files on disk.
DATA_DIR = Path(str(resources.files(__name__)))


def path(name: str) -> Path:
    """The shipped file `name` (one of FILES); fails naming the files there are."""
    if name not in FILES:
        raise FileNotFoundError(f"No shipped benchmark file {name!r}. Shipped: {', '.join(FILES)}.")
    file = DATA_DIR / name
    if not file.is_file():  # only a broken install gets here: package_data was left out of the build
        raise FileNotFoundError(f"{file} is missing from the installed package; reinstall open-r1 (`make install`).")
    return file


def rows(name: str) -> list[dict]:
    with open(path(name), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def verify() -> dict[str, bool]:
    """file -> whether its bytes match the published checksum."""
    return {name: hashlib.sha256(path(name).read_bytes()).hexdigest() == sha for name, (_, sha) in FILES.items()}
