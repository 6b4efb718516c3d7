#!/bin/bash
# One rank of a multi-node case (a task of the srun step fedbench starts): the rendezvous torchrun would set, from
# Slurm's view of the step; the master is the first node of the job, at its NodeAddr, on the port fedbench chose
# (MASTER_PORT, inherited). Prints "FEDBENCH:RANK rank node local-rank master-address" first, so fedbench knows where each ran,
# and on each node's first rank its InfiniBand ports. FEDBENCH_INFINIBAND_ROOT: another sysfs tree (the tests' constructed one).
# usage: rank-env.sh PROGRAM ARGS...
set -uo pipefail
first="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
addr="$(scontrol show node "$first" | grep -o 'NodeAddr=[^ ]*' | head -n 1)"
export MASTER_ADDR="${addr#NodeAddr=}"
export RANK="$SLURM_PROCID" LOCAL_RANK="$SLURM_LOCALID" WORLD_SIZE="$SLURM_NTASKS"
export LOCAL_WORLD_SIZE="${SLURM_NTASKS_PER_NODE%%(*}"
echo "FEDBENCH:RANK $RANK ${SLURMD_NODENAME:-$(hostname -s)} $LOCAL_RANK $MASTER_ADDR"
# the node's first rank reports its InfiniBand ports (what ibstat reads), so every node of the job is on record,
# not only the one fedbench runs on: "FEDBENCH:PORT|device|port|state|rate|link layer"
if [ "$LOCAL_RANK" = 0 ]; then
  ib="${FEDBENCH_INFINIBAND_ROOT:-/sys/class/infiniband}"
  field() { if [ -r "$p/$1" ]; then tr -d '\n|' <"$p/$1"; else printf unknown; fi; }
  for p in "$ib"/*/ports/*; do
    [ -d "$p" ] || continue
    dev="${p#"$ib"/}"
    echo "FEDBENCH:PORT|${dev%%/*}|${p##*/}|$(field state)|$(field rate)|$(field link_layer)"
  done
fi
exec "$@"
