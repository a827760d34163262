#!/usr/bin/env bash
# The first run on a machine with a CUDA GPU, in under 10 minutes:
#   bash benchmarks/gpu_check.sh        (PYTHON=... to pick the interpreter)
# 1. one-GPU torchrun (NCCL): a VRM step with gather='all' through DDP;
# 2. AMP steps (fp16, bf16); channels_last, teacher bf16 and torch.compile
#    each against the plain step (first-step losses) and timed;
# 3. images/s of student / KD / KD on two views / VRM, batch 64, at CIFAR
#    size (ResNet56 -> ResNet20) and at 224 px (ResNet34 -> ResNet18).
# Writes benchmarks/results/gpu_check.{json,md}. Without CUDA it says so
# and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python
    [ -x .venv/bin/python ] && PYTHON=.venv/bin/python
fi
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "gpu_check: $PYTHON cannot import torch: set PYTHON=... (make env)."
    exit 1
fi
if ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'
then
    echo "gpu_check: no CUDA GPU here (torch.cuda.is_available() is False):" \
         "nothing to check; run this on a machine with one."
    exit 0
fi
rm -f benchmarks/results/gpu_check_ddp.json
# each part has its own limit, 9.5 minutes in all
timeout 120 "$PYTHON" -m torch.distributed.run --standalone \
    --nproc_per_node=1 benchmarks/gpu_check.py --ddp ||
    echo "gpu_check: the torchrun check failed or timed out (exit $?)"
timeout 450 "$PYTHON" benchmarks/gpu_check.py
