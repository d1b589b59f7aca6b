#!/bin/bash
#SBATCH --job-name=piston-worker
#SBATCH --output=./logs/%x-%j.out
#SBATCH --error=./logs/%x-%j.out
#SBATCH --cpus-per-task=2
#SBATCH --mem-per-cpu=1950M
#SBATCH --partition=hopper-cpu    # adjust to your cluster
#SBATCH --time=48:00:00
#
# One Piston code-execution worker in a container (pyxis/enroot), listening on $PORT. Submitted by
# launch_piston_workers.sh with the job name piston-worker-<port>, which is how the IOI/Codeforces rewards find the
# workers (or list them yourself in PISTON_ENDPOINTS=http://node:port/api/v2,...). See slurm/piston/README.md.
# DRY_RUN=1 prints the command instead of running it (see slurm/lib.sh).

set -euo pipefail
# shellcheck source=slurm/lib.sh
source "${OPEN_R1_ROOT:-.}/slurm/lib.sh"

PORT="${PORT:?PORT is not set: submit with launch_piston_workers.sh or --export=ALL,PORT=<port>}"
# Pinned image: later ones need `isolate` with cgroup v2, which many clusters do not allow.
PISTON_IMAGE="${PISTON_IMAGE:-ghcr.io#engineer-man/piston:sha256:63b5654156a89c5a2ad281aface21416615d62ec056d88efe8fcd307ce73575a}"
PACKAGES_DIR="${PISTON_PACKAGES_DIR:-./data/piston/packages}"

# Many workers starting in the same second can crash the container runtime; spread them out.
[[ "${DRY_RUN:-0}" == "1" ]] || { sleep $((RANDOM % 20)); mkdir -p "$PACKAGES_DIR"; }

RAISE_BODY_LIMITS="sed -i '/app.use(body_parser.urlencoded/c\\    app.use(body_parser.urlencoded({ extended: true, limit: \"512mb\" }));' src/index.js && sed -i '/app.use(body_parser.json/c\\    app.use(body_parser.json({ limit: \"512mb\" }));' src/index.js"
# Piston's defaults (3 s runs, 1 kB outputs) are far too small for IOI/Codeforces tests, and its request size limit
# is raised so large test inputs fit. Networking stays off: submissions are untrusted code.
run srun --container-mounts="$PACKAGES_DIR:/piston/packages:rw" --container-image="$PISTON_IMAGE" \
  env PISTON_BIND_ADDRESS="0.0.0.0:$PORT" PISTON_COMPILE_TIMEOUT=60000 PISTON_RUN_TIMEOUT=60000 \
  PISTON_OUTPUT_MAX_SIZE=1000000000 PISTON_MAX_FILE_SIZE=1000000000 PISTON_DISABLE_NETWORKING=true \
  PISTON_REPO_URL=https://github.com/guipenedo/piston/releases/download/pkgs/index \
  bash -c "$RAISE_BODY_LIMITS && node src"
