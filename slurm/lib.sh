#!/bin/bash
# Helpers shared by the Slurm launchers (sourced, never run). Every launcher supports a dry run:
#
#   DRY_RUN=1 SLURM_JOB_NODELIST=node1,node2 SLURM_NNODES=2 bash slurm/train.slurm --model ... --task grpo ...
#
# prints each command it would run, one per line, prefixed with "+ " and shell-quoted (paste it into a shell, or
# split it with Python's shlex), and runs nothing: no srun, no GPU, no cluster needed.

# Runs a command, or prints it when DRY_RUN=1.
run() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Starts a command in the background (a server the job talks to), or prints it with a trailing "&".
run_bg() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then
    printf '+'
    printf ' %q' "$@"
    printf ' &\n'
  else
    "$@" &
  fi
}

# The job's node names, one per line. A dry run may happen where scontrol is installed but has no cluster to ask (a
# laptop, a CI machine): SLURM_JOB_NODELIST is then read as a comma-separated list of names, e.g. node1,node2.
job_hostnames() {
  local nodelist="${SLURM_JOB_NODELIST:?SLURM_JOB_NODELIST is not set: run under sbatch, or set it}"
  if command -v scontrol >/dev/null 2>&1; then
    scontrol show hostnames "$nodelist" 2>/dev/null && return 0
    [[ "${DRY_RUN:-0}" == "1" ]] || die "scontrol show hostnames $nodelist failed: is this running under sbatch?"
  fi
  tr ',' '\n' <<<"$nodelist"
}

# Activates the project's environment (OPEN_R1_VENV, default .venv) unless this is a dry run.
activate_env() {
  local venv="${OPEN_R1_VENV:-.venv}"
  if [[ "${DRY_RUN:-0}" == "1" ]]; then
    return 0
  fi
  if [[ -f "$venv/bin/activate" ]]; then
    # shellcheck source=/dev/null
    source "$venv/bin/activate"
  else
    echo "warning: no virtual environment at $venv (set OPEN_R1_VENV); using $(command -v python3)" >&2
  fi
}

die() {
  echo "error: $*" >&2
  exit 1
}

# Polls an HTTP URL until it answers (a server started with run_bg), up to TIMEOUT seconds (default 1800).
wait_until_up() {
  local url="$1" timeout="${2:-1800}" waited=0
  until curl -s -o /dev/null "$url"; do
    ((waited < timeout)) || die "$url did not answer within ${timeout}s"
    sleep 10
    waited=$((waited + 10))
  done
  echo "$url is up (after ${waited}s)"
}
