#!/usr/bin/env bash
# Training on a Slurm cluster with srun (one task per GPU).
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   [MAX_RESTARTS=100] \
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [args]
#
# Preemption: tools/train.py saves a checkpoint and exits with status 75
# on SIGTERM or SIGUSR1 (e.g. SRUN_ARGS="--signal=USR1@120", two minutes
# before the time limit). Run from a login node, this script then starts
# srun again with --resume (at most MAX_RESTARTS times). Run inside an
# sbatch job (SLURM_JOB_ID set), it requeues the job instead
# (scontrol requeue), and the requeued job (SLURM_RESTART_COUNT > 0)
# resumes. Any other exit status is returned as it is.
# On nodes without GPUs the tasks train on CPU over gloo (tools/train.py
# reads SLURM_PROCID/SLURM_NTASKS; MASTER_ADDR defaults to the first host).
# Python: $PYTHON if set, else the repository's .venv/bin/python, else
# python3 on PATH (tools/python_env.sh), resolved here, run by srun.
set -euo pipefail
# shellcheck source=tools/python_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=$(vrm_mm_python)
MAX_RESTARTS=${MAX_RESTARTS:-100}
EXIT_RESUME=75  # vrm_mm.runtime.hooks.preemption_hook.EXIT_RESUME

RESUME=()
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
    RESUME=(--resume)  # a requeued job continues from its checkpoint
fi
restarts=0
while true; do
    status=0
    # shellcheck disable=SC2086
    PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
    srun -p "$PARTITION" \
        --job-name="$JOB_NAME" \
        --gres=gpu:"$GPUS_PER_NODE" \
        --ntasks="$GPUS" \
        --ntasks-per-node="$GPUS_PER_NODE" \
        --cpus-per-task="$CPUS_PER_TASK" \
        --kill-on-bad-exit=1 \
        $SRUN_ARGS \
        "$PYTHON" -u "$(dirname "$0")/train.py" "$CONFIG" \
        --work-dir="$WORK_DIR" --launcher=slurm "${@:5}" \
        ${RESUME[@]+"${RESUME[@]}"} || status=$?
    if [ "$status" -ne "$EXIT_RESUME" ]; then
        exit "$status"
    fi
    if [ -n "${SLURM_JOB_ID:-}" ]; then
        echo "slurm_train.sh: training stopped to be resumed (status" \
             "$EXIT_RESUME); requeueing job $SLURM_JOB_ID." >&2
        scontrol requeue "$SLURM_JOB_ID"
        exit 0
    fi
    restarts=$((restarts + 1))
    if [ "$restarts" -gt "$MAX_RESTARTS" ]; then
        echo "slurm_train.sh: stopped to be resumed $restarts times, more" \
             "than MAX_RESTARTS=$MAX_RESTARTS; giving up (status" \
             "$EXIT_RESUME)." >&2
        exit "$EXIT_RESUME"
    fi
    echo "slurm_train.sh: training stopped to be resumed (status" \
         "$EXIT_RESUME); resuming ($restarts/$MAX_RESTARTS)." >&2
    RESUME=(--resume)
done
