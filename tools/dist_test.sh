#!/usr/bin/env bash
# Distributed testing with torchrun.
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT as in dist_train.sh.
# Python: $PYTHON if set, else the repository's .venv/bin/python, else
# python3 on PATH (tools/python_env.sh). Prints "GPU number: N", or
# "CPU ranks (gloo): N" when no GPU is visible.
set -euo pipefail
# shellcheck source=tools/python_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=$(vrm_mm_python)
echo "dist_test.sh: $(vrm_mm_ranks "$PYTHON" "$GPUS") (python: $PYTHON)"

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
