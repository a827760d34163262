"""Pick the checkpoint ``--resume`` (without a path) continues from.

mmengine resumes from the file named in ``work_dir/last_checkpoint``; if that
file is truncated or corrupted (disk full, a crash outside our atomic
writes), the run dies. Here the candidates are tried newest first, and a
checkpoint that does not load is skipped with a warning.
"""
import glob
import os.path as osp
import re
import warnings
from typing import List, Optional

import torch


def _checkpoint_number(path: str) -> int:
    match = re.search(r'(?:epoch|iter)_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def resume_candidates(work_dir: str) -> List[str]:
    """The named latest checkpoint first, then the others, newest first."""
    candidates = sorted(
        glob.glob(osp.join(work_dir, 'epoch_*.pth')) +
        glob.glob(osp.join(work_dir, 'iter_*.pth')),
        key=lambda p: (_checkpoint_number(p), osp.getmtime(p)),
        reverse=True)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            candidates = [named] + [
                c for c in candidates if osp.abspath(c) != osp.abspath(named)]
    return candidates


def is_loadable(path: str) -> bool:
    try:
        torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # any failure means: do not resume from it
        warnings.warn(f'Skipping unreadable checkpoint {path}: '
                      f'{type(error).__name__}: {str(error)[:200]}')
        return False
    return True


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest checkpoint in ``work_dir`` that loads, or None."""
    for path in resume_candidates(work_dir):
        if is_loadable(path):
            return path
    return None
