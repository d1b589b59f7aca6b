#!/bin/bash
# A two-node Slurm test cluster on one Linux machine, to try the launchers for real before queueing on a real
# cluster (and what the `slurm` tests run against). Needs root; installs Debian/Ubuntu's slurm-wlm and munge with apt
# when they are missing.
#
#   sudo slurm/test_cluster.sh up      # or: sudo make slurm-up
#   sbatch --nodes=2 slurm/train.slurm ...   (see slurm/README.md, "A test cluster on one machine")
#   sudo slurm/test_cluster.sh down    # or: sudo make slurm-down
#   slurm/test_cluster.sh status   # exit 0: up, 3: down, 4: stale (left by a killed `up`; `up` clears it)
#
# What `up` builds: a controller (slurmctld) and two nodes, or1-node1 and or1-node2, each with 16 CPUs and 8 fake
# GPUs (`--gres=gpu:8` and `--exclusive` are accepted; jobs see CUDA_VISIBLE_DEVICES=0,...,7 but run on the CPU).
# Two slurmd sharing the machine's network would not be two machines: the second node's torch rendezvous would find
# the first node's port taken. So each slurmd runs in its own network and UTS namespace (its own address and hostname)
# joined to the controller by a veth pair into a bridge, on a private /24 used only here. Partitions: debug (default),
# and hopper-prod / hopper-cpu, the names the launchers' #SBATCH lines use, so they run unmodified.
#
# `down` stops exactly what `up` started: every process inside the two node namespaces (slurmd, job steps), the
# controller, munged (only if `up` started it), the namespaces, the bridge, the /etc/hosts lines, the fake devices.
#
# Environment: OPEN_R1_SLURM_DIR (state, config and logs; default /tmp/open-r1-slurm), OPEN_R1_SLURM_NET (first
# three octets of the private /24; default 10.93.213), OPEN_R1_SLURM_DEBUG=1 (a failed `up` is left as it is, to
# look at its logs; `down` then cleans up).

set -euo pipefail

STATE="${OPEN_R1_SLURM_DIR:-/tmp/open-r1-slurm}"
NET="${OPEN_R1_SLURM_NET:-10.93.213}"
BRIDGE=or1-slurm-br
CONTROLLER=or1-ctl
NODES=(or1-node1 or1-node2)
HOSTS_TAG="# open-r1 slurm test cluster"
CTLD_PORT=16817 # not Slurm's default 6817/6818, so a real Slurm on the same machine is left alone
SLURMD_PORT=16818
CONF="$STATE/etc/slurm.conf"
GPUS_PER_NODE=8

die() {
  echo "test_cluster: error: $*" >&2
  exit 1
}
log() { echo "test_cluster: $*"; }

node_address() { echo "$NET.$((11 + $1))"; }

need_root() {
  [[ "$(id -u)" == "0" ]] || die "run as root (sudo $0 $1): it creates network namespaces and starts Slurm's daemons"
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v unshare >/dev/null || missing+=(util-linux)
  command -v curl >/dev/null || missing+=(curl)
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install Slurm 22.05+ and munge yourself"
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
}

is_up() { [[ -e /run/netns/${NODES[0]} || -e "$STATE/started" ]] || ip link show "$BRIDGE" >/dev/null 2>&1; }

# Whether anything of the cluster still runs: its daemons (started with -f $CONF) or any process in a node namespace.
# A cluster that is up but runs nothing was left by an `up` whose processes were killed (a test session stopped by a
# time limit, a container restarted): its namespaces, bridge and state are stale, and `up` clears them.
is_running() {
  pgrep -f -- "-f $CONF" >/dev/null 2>&1 && return 0
  local node
  for node in "${NODES[@]}"; do
    [[ -e "/run/netns/$node" && -n "$(ip netns pids "$node" 2>/dev/null)" ]] && return 0
  done
  return 1
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_works; then
    log "munged already runs; using it (and leaving it running at 'down')"
    return 0
  fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile /etc/munge/munge.key
    echo /etc/munge/munge.key >>"$STATE/created_files"
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  mkdir -p "$STATE/munge" && chown munge:munge "$STATE/munge" # munged runs as munge and writes here
  runuser -u munge -- munged --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log"
  for _ in $(seq 50); do
    munge_works && return 0
    sleep 0.1
  done
  die "munged did not start: see $STATE/munge/munged.log"
}

write_config() {
  mkdir -p "$STATE/etc" "$STATE/ctld" "$STATE/log" "$STATE/dev"
  local node_lines="" i
  for i in "${!NODES[@]}"; do
    node_lines+="NodeName=${NODES[$i]} NodeAddr=$(node_address "$i") CPUs=16 RealMemory=32000 Gres=gpu:$GPUS_PER_NODE State=UNKNOWN
"
  done
  cat >"$CONF" <<EOF
# Written by slurm/test_cluster.sh; removed by 'slurm/test_cluster.sh down'.
ClusterName=open-r1-test
SlurmctldHost=$CONTROLLER($NET.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool/%n
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd-%n.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd-%n.log
# No cgroups here: processes are tracked by parent id, and 'down' kills whatever runs in the node namespaces.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
# The nodes declare 16 CPUs and 8 GPUs whatever the machine has.
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=5
InactiveLimit=0
MinJobAge=3600
SlurmdTimeout=60
$node_lines
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=hopper-prod Nodes=ALL MaxTime=INFINITE State=UP
PartitionName=hopper-cpu Nodes=ALL MaxTime=INFINITE State=UP
EOF
  # Fake GPUs: Slurm only hands out GPUs backed by character devices (plain files give an empty
  # CUDA_VISIBLE_DEVICES); 195 is the NVIDIA major number, and nothing here ever opens them.
  for i in $(seq 0 $((GPUS_PER_NODE - 1))); do
    [[ -e "$STATE/dev/nvidia$i" ]] || mknod "$STATE/dev/nvidia$i" c 195 "$i"
  done
  cat >"$STATE/etc/gres.conf" <<EOF
AutoDetect=off
NodeName=or1-node[1-${#NODES[@]}] Name=gpu File=$STATE/dev/nvidia[0-$((GPUS_PER_NODE - 1))]
EOF
  # sbatch/srun/scontrol find the cluster without SLURM_CONF when the machine has no Slurm config of its own.
  if [[ ! -e /etc/slurm/slurm.conf ]]; then
    mkdir -p /etc/slurm
    ln -s "$CONF" /etc/slurm/slurm.conf
  fi
}

setup_network() {
  # `ip netns add` bind-mounts /run/netns onto itself the first time; remember whether that mount was ours.
  mountpoint -q /run/netns 2>/dev/null || touch "$STATE/netns_mount_is_ours"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local i node
  for i in "${!NODES[@]}"; do
    node="${NODES[$i]}"
    ip netns add "$node"
    ip link add "or1-veth$i" type veth peer name "or1-veth${i}n"
    ip link set "or1-veth$i" master "$BRIDGE" up
    ip link set "or1-veth${i}n" netns "$node"
    ip -n "$node" link set lo up
    ip -n "$node" addr add "$(node_address "$i")/24" dev "or1-veth${i}n"
    ip -n "$node" link set "or1-veth${i}n" up
  done
  {
    echo "$NET.1 $CONTROLLER $HOSTS_TAG"
    for i in "${!NODES[@]}"; do echo "$(node_address "$i") ${NODES[$i]} $HOSTS_TAG"; done
  } >>/etc/hosts
}

wait_for_nodes() {
  local state
  for _ in $(seq 120); do
    state=$(SLURM_CONF="$CONF" sinfo -h -p debug -o '%T' 2>/dev/null | sort -u | tr '\n' ' ')
    [[ "$state" == "idle " ]] && return 0
    sleep 0.5
  done
  die "the nodes did not come up (state: ${state:-none}); see $STATE/log/"
}

up() {
  need_root up
  if is_up; then
    is_running && die "a test cluster is already up: run '$0 down' first"
    log "clearing what a test cluster that was not stopped left behind (none of its processes runs)"
    down
  fi
  install_packages
  mkdir -p "$STATE/log"
  : >"$STATE/created_files"
  touch "$STATE/started"
  # From here on, a failure undoes what was started.
  [[ -n "${OPEN_R1_SLURM_DEBUG:-}" ]] || trap 'echo "test_cluster: up failed; cleaning up" >&2; down >/dev/null 2>&1 || true' EXIT
  write_config
  setup_network
  start_munge
  # The controller gets its own hostname (UTS namespace) so that it matches SlurmctldHost whatever the machine is
  # called; it listens on the bridge address, reachable from both node namespaces.
  unshare --uts sh -c "hostname $CONTROLLER && exec slurmctld -c -f $CONF"
  local node
  for node in "${NODES[@]}"; do
    # nsenter --net, not `ip netns exec`: the latter remounts /sys, hiding the cgroup mounts slurmd needs.
    mkdir -p "$STATE/spool/$node"
    nsenter --net="/run/netns/$node" unshare --uts sh -c "hostname $node && exec slurmd -c -N $node -f $CONF"
  done
  wait_for_nodes
  trap - EXIT
  log "up: nodes ${NODES[*]} (16 CPUs, $GPUS_PER_NODE fake GPUs each), partitions debug (default), hopper-prod, hopper-cpu"
  if [[ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" != "$CONF" ]]; then
    log "this machine has its own /etc/slurm/slurm.conf: export SLURM_CONF=$CONF to use the test cluster"
  fi
}

# Sends a signal to the live processes among the given pids.
signal_pids() {
  local signal="$1" pid
  shift
  for pid in "$@"; do kill "-$signal" "$pid" 2>/dev/null || true; done
}

# Kills every process of a node namespace: slurmd, slurmstepd and whatever the jobs started there.
kill_namespace() {
  local node="$1" pids
  [[ -e "/run/netns/$node" ]] || return 0
  mapfile -t pids < <(ip netns pids "$node" 2>/dev/null)
  ((${#pids[@]})) || return 0
  signal_pids TERM "${pids[@]}"
  for _ in $(seq 50); do
    mapfile -t pids < <(ip netns pids "$node" 2>/dev/null)
    ((${#pids[@]})) || return 0
    sleep 0.1
  done
  signal_pids KILL "${pids[@]}"
  sleep 0.2
}

# Kills the daemon whose pid file is given, if the pid is still that program.
kill_pidfile() {
  local pidfile="$1" program="$2" pid
  [[ -s "$pidfile" ]] || return 0
  pid=$(<"$pidfile")
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$program" ]]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -e "/proc/$pid" ]] || return 0
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

down() {
  need_root down
  local node
  # Jobs first, so that Slurm records them as cancelled rather than lost.
  if [[ -f "$CONF" ]] && SLURM_CONF="$CONF" timeout 10 scontrol ping >/dev/null 2>&1; then
    local jobs
    mapfile -t jobs < <(SLURM_CONF="$CONF" squeue -h -o %i 2>/dev/null)
    ((${#jobs[@]} == 0)) || SLURM_CONF="$CONF" timeout 10 scancel "${jobs[@]}" 2>/dev/null || true
  fi
  for node in "${NODES[@]}"; do kill_namespace "$node"; done
  kill_pidfile "$STATE/slurmctld.pid" slurmctld
  kill_pidfile "$STATE/munge/munged.pid" munged
  for node in "${NODES[@]}"; do
    if [[ -e "/run/netns/$node" ]]; then ip netns del "$node"; fi
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  if [[ -e "$STATE/netns_mount_is_ours" ]] && [[ -z "$(ls -A /run/netns 2>/dev/null)" ]]; then
    umount /run/netns 2>/dev/null || true
  fi
  if grep -qF "$HOSTS_TAG" /etc/hosts; then
    # /etc/hosts may be a bind mount (containers): rewrite it in place instead of replacing the file.
    local kept
    kept=$(grep -vF "$HOSTS_TAG" /etc/hosts)
    printf '%s\n' "$kept" >/etc/hosts
  fi
  if [[ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" == "$CONF" ]]; then rm -f /etc/slurm/slurm.conf; fi
  if [[ -f "$STATE/created_files" ]]; then
    xargs -r rm -f <"$STATE/created_files"
  fi
  rm -rf "$STATE"
  # Checked, not assumed: a leftover would break the next `up` (or another tool on this machine).
  local leftovers=()
  for node in "${NODES[@]}"; do
    if [[ -e "/run/netns/$node" ]]; then leftovers+=("namespace $node"); fi
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then leftovers+=("bridge $BRIDGE"); fi
  if pgrep -f "$CONF" >/dev/null; then leftovers+=("processes: $(pgrep -af "$CONF" | tr '\n' ';')"); fi
  if grep -qF "$HOSTS_TAG" /etc/hosts; then leftovers+=("/etc/hosts lines"); fi
  ((${#leftovers[@]} == 0)) || die "down left behind: ${leftovers[*]}"
  log "down: nothing of the test cluster is left"
}

status() {
  if ! is_up; then
    echo "test cluster: down"
    return 3
  fi
  if ! is_running; then
    echo "test cluster: stale (left by a cluster that was not stopped; none of its processes runs): '$0 up' clears it"
    return 4
  fi
  echo "test cluster: up (config $CONF)"
  SLURM_CONF="$CONF" sinfo -N -o '%N %P %T %G' || true
  SLURM_CONF="$CONF" squeue || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
