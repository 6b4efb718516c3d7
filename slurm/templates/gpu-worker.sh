#!/bin/bash
# One worker of a whole-node case (an srun task): runs fedbench on one GPU, the one Slurm gave this task.
# If Slurm already bound one GPU per task, CUDA_VISIBLE_DEVICES has one entry and stays; otherwise the
# worker takes the SLURM_LOCALID-th of the job's GPUs. Records go to OUT/gpu<local id>/.
# usage: gpu-worker.sh SUITE OUT FEDBENCH-ARGV... (run --campaign C)
set -uo pipefail
suite="$1" out="$2"; shift 2
IFS=, read -ra gpus <<<"${CUDA_VISIBLE_DEVICES:-${SLURM_STEP_GPUS:-${SLURM_JOB_GPUS:-}}}"
local_id="${SLURM_LOCALID:-0}"
if ((${#gpus[@]} > 1)); then export CUDA_VISIBLE_DEVICES="${gpus[$local_id]}"; fi
export FEDBENCH_WORKER="$local_id"
# node-wide energy counters are read by every worker at once: each record takes its share (see energy-record.ts)
export FEDBENCH_WORKERS="${SLURM_STEP_NUM_TASKS:-${SLURM_NTASKS:-1}}"
echo "fedbench worker $local_id on ${SLURMD_NODENAME:-?}: CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-}"
exec "$@" --suite "$suite" --out "$out/gpu$local_id"
