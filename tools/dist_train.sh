#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU (per CPU rank on a
# machine without GPUs, where tools/train.py switches to gloo).
#   bash tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT, e.g. on node 0 of 2:
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CFG 8
# Exits with 75 when training stopped to be resumed (SIGTERM/SIGUSR1 to a
# rank, see PreemptionHook): torchrun would report that as a crash, so the
# ranks leave the status in a file and exit 0.
# Python: $PYTHON if set, else the repository's .venv/bin/python, else
# python3 on PATH (tools/python_env.sh). Prints "GPU number: N", or
# "CPU ranks (gloo): N" when no GPU is visible.
set -euo pipefail
# shellcheck source=tools/python_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=$(vrm_mm_python)
echo "dist_train.sh: $(vrm_mm_ranks "$PYTHON" "$GPUS") (python: $PYTHON)"

STATUS_FILE=$(mktemp)
trap 'rm -f "$STATUS_FILE"' EXIT
status=0
VRM_MM_EXIT_STATUS_FILE="$STATUS_FILE" \
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}" || status=$?
if [ "$status" -eq 0 ] && [ -s "$STATUS_FILE" ]; then
    status=$(cat "$STATUS_FILE")
fi
exit "$status"
