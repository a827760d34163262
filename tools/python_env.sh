#!/usr/bin/env bash
# Sourced by tools/dist_*.sh and tools/slurm_*.sh (not run on its own).
#
# vrm_mm_python: the interpreter that runs tools/*.py, first found of
#   1. $PYTHON, when set and not empty (an explicit choice always wins);
#   2. the repository's .venv/bin/python, found from this file's directory
#      (tools/..), whatever the current directory;
#   3. python3, then python, on PATH.
# vrm_mm_ranks PYTHON N: "GPU number: N" when torch sees a GPU, else
#   "CPU ranks (gloo): N" (no nvidia-smi on PATH, or
#   torch.cuda.device_count() == 0): tools/train.py and tools/test.py then
#   run the N ranks on the CPU over gloo (vrm_mm/runtime/launch.py).

vrm_mm_python() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -n "${PYTHON:-}" ]; then
        echo "$PYTHON"
    elif [ -x "$root/.venv/bin/python" ]; then
        echo "$root/.venv/bin/python"
    elif command -v python3 >/dev/null 2>&1; then
        command -v python3
    elif command -v python >/dev/null 2>&1; then
        command -v python
    else
        echo "$(basename "$0"): no Python found: set PYTHON=/path/to/python" \
             "or create $root/.venv (see README, Install)." >&2
        return 1
    fi
}

vrm_mm_ranks() {
    local gpus=0
    if command -v nvidia-smi >/dev/null 2>&1; then
        gpus=$("$1" -c 'import torch; print(torch.cuda.device_count())' \
               2>/dev/null) || gpus=0
    fi
    if [ "${gpus:-0}" -gt 0 ] 2>/dev/null; then
        echo "GPU number: $2"
    else
        echo "CPU ranks (gloo): $2"
    fi
}
