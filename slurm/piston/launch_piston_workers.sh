#!/bin/bash
# Submits N Piston workers (default 5), each a Slurm job named piston-worker-<port> on a random free port.
#
#   slurm/piston/launch_piston_workers.sh 16
#
# DRY_RUN=1 prints the sbatch commands instead of submitting them (ports are then 2000, 2001, ...).

set -euo pipefail
# shellcheck source=slurm/lib.sh
source "${OPEN_R1_ROOT:-.}/slurm/lib.sh"

N_INSTANCES="${1:-5}"
[[ "$N_INSTANCES" =~ ^[1-9][0-9]*$ ]] || die "the number of workers must be a positive integer, got '$N_INSTANCES'"

free_port() {
  comm -23 <(seq 2000 10000 | sort) <(ss -tan | awk '{print $4}' | awk -F: '{print $NF}' | sort -u) | shuf -n 1
}

for i in $(seq 1 "$N_INSTANCES"); do
  if [[ "${DRY_RUN:-0}" == "1" ]]; then PORT=$((1999 + i)); else PORT=$(free_port); fi
  run sbatch --job-name="piston-worker-$PORT" --export="ALL,PORT=$PORT" slurm/piston/launch_single_piston.sh
done
