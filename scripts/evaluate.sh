#!/bin/bash
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
#
# `make evaluate`: evaluates MODEL on TASK with lighteval, the settings read from environment variables (Make
# passes its command-line variables as such). Run it directly the same way:
#
#   MODEL=data/tiny/model TASK=math_500 BACKEND=accelerate MAX_SAMPLES=8 bash scripts/evaluate.sh
#
#   MODEL            hub id or local folder (required)
#   TASK             math_500, aime24, aime25, gpqa, lcb, a comma-separated list, or all (required)
#   BACKEND          vllm (default: starts `vllm serve` of MODEL, on a GPU or with vLLM's CPU build, evaluates
#                    through it and stops it) or accelerate (lighteval's transformers backend)
#   SERVER_URL       vllm: evaluate through this running OpenAI-compatible server (http://host:8000/v1) serving
#                    MODEL under that name, instead of starting one
#   PARALLEL         data (default: a replica per GPU) or tensor (one model sharded over the GPUs)
#   NUM_GPUS         default 1
#   REVISION         model revision (hub branch), default main
#   DATA_DIR         read benchmark files (math500.jsonl, aime24.jsonl, aime25.jsonl, gpqa_diamond.csv,
#                    lcb_codegeneration.jsonl) from this folder instead of the hub. Unset and the hub
#                    unreachable: the maths benchmarks use the copies shipped in open_r1.benchmark_data
#   MAX_SAMPLES      evaluate only the first N problems (a smoke test; the score is partial)
#   NUM_SAMPLES      n of pass@1 for every task (published: AIME 64, MATH-500 4, GPQA 8, LCB 16)
#   MAX_NEW_TOKENS   generation budget (published: 32768)
#   MAX_MODEL_LENGTH context length (vllm: 32768, or the model's own where it declares less; accelerate: the model's)
#   TEMPERATURE      sampling temperature (published 0.6); 0 is greedy decoding, one sample per problem
#   DTYPE, BATCH_SIZE, OUTPUT_DIR (default data/evals/$MODEL), DRY_RUN=1 (print the command, run nothing)
#
# Unset and empty mean the same: the default. Results land in $OUTPUT_DIR/results_<time>.json and per-sample details
# under $OUTPUT_DIR/details/; `make summarize` tabulates and plots every result under data/evals.
set -euo pipefail

if [[ -z "${MODEL:-}" || -z "${TASK:-}" ]]; then
  echo "usage: make evaluate MODEL=<hub id or folder> TASK=<math_500|aime24|aime25|gpqa|lcb|all> [BACKEND=vllm|accelerate]" >&2
  echo "       [PARALLEL=data|tensor NUM_GPUS=N] [DATA_DIR=...] [MAX_SAMPLES=...] [NUM_SAMPLES=...] [MAX_NEW_TOKENS=...]" >&2
  exit 2
fi

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"

extra=()
if [[ "${DRY_RUN:-0}" == "1" ]]; then extra+=(--dry-run); fi

exec "$PYTHON" -m open_r1.utils.evaluation \
  --model "$MODEL" \
  --task "$TASK" \
  --backend "${BACKEND:-vllm}" \
  --server-url "${SERVER_URL:-}" \
  --parallel "${PARALLEL:-data}" \
  --num-gpus "${NUM_GPUS:-}" \
  --revision "${REVISION:-}" \
  --data-dir "${DATA_DIR:-}" \
  --max-samples "${MAX_SAMPLES:-}" \
  --num-samples "${NUM_SAMPLES:-}" \
  --max-new-tokens "${MAX_NEW_TOKENS:-}" \
  --max-model-length "${MAX_MODEL_LENGTH:-}" \
  --temperature "${TEMPERATURE:-}" \
  --dtype "${DTYPE:-}" \
  --batch-size "${BATCH_SIZE:-}" \
  --output-dir "${OUTPUT_DIR:-}" \
  "${extra[@]}"
