"""What makes ``--resume`` exact, and which checkpoint it continues from.

:func:`make_resume_exact` gives any config, whatever its hooks, the
seeding hook and the train loop that make a resumed run reproduce the
uninterrupted one (``tools/train.py`` calls it).

mmengine resumes from the file named in ``work_dir/last_checkpoint``; if that
file is truncated or corrupted (disk full, a crash outside our atomic
writes), the run dies. Here the candidates are tried newest first, and a
checkpoint that does not load is skipped with a warning. A
``last_checkpoint`` that names a file of another folder (a copied or moved
work_dir) is read as the file of that name in this work_dir: a run never
resumes from another work_dir's checkpoint unless given it by name.
"""
import glob
import os.path as osp
import re
import warnings
from typing import List, Optional

import torch
from mmengine.config import Config

from vrm_mm.utils.work_dir import announce_reroot, reroot

_LOOP = 'vrm_mm.MidEpochResumeTrainLoop'
# the train loops it replaces
_EPOCH_LOOPS = ('EpochBasedTrainLoop', 'mmengine.EpochBasedTrainLoop')


def _type_name(kind) -> str:
    """``'EpochSeedHook'`` for that name, a scoped name or the class."""
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.split('.')[-1]


def make_resume_exact(cfg: Config) -> Optional[str]:
    """Add ``EpochSeedHook`` unless the config has it or turns it off
    (``default_hooks.epoch_seed=None``), and select
    ``MidEpochResumeTrainLoop`` for an epoch-based loop.

    Returns:
        Why resuming this config is not exact, or None if it is.
    """
    train_cfg = cfg.get('train_cfg')
    if train_cfg is not None:
        if train_cfg.get('by_epoch') is True:
            train_cfg.pop('by_epoch')
            train_cfg['type'] = _LOOP
        elif train_cfg.get('type') in _EPOCH_LOOPS:
            train_cfg['type'] = _LOOP
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = {}
    hooks = cfg.default_hooks
    if 'epoch_seed' in hooks and hooks['epoch_seed'] is None:
        return ('default_hooks.epoch_seed=None turns off the seeding of '
                'augmentations by (seed, epoch, sample index)')
    configured = [*hooks.values(), *cfg.get('custom_hooks', [])]
    if not any(
            isinstance(hook, dict)
            and _type_name(hook.get('type')) == 'EpochSeedHook'
            for hook in configured):
        hooks['epoch_seed'] = dict(type='vrm_mm.EpochSeedHook')
    if train_cfg is None:
        return None
    loop = _type_name(train_cfg.get('type', 'IterBasedTrainLoop'))
    if loop != _type_name(_LOOP):
        return f'the train loop {loop} does not reseed samples by epoch'
    return None


# default_hooks names -> the hooks that keep --resume to its own work_dir
# and its own experiment (scoped: they resolve from any default scope)
RESUME_GUARDS = {
    'own_work_dir': 'vrm_mm.OwnWorkDirHook',
    'experiment_identity': 'vrm_mm.ExperimentIdentityHook',
}


def add_resume_guards(cfg: Config) -> None:
    """Add ``OwnWorkDirHook`` and ``ExperimentIdentityHook`` to
    ``default_hooks`` unless the config has them or turns them off
    (``default_hooks.own_work_dir=None``)."""
    # importing the modules registers the hooks
    from vrm_mm.runtime.hooks import (
        experiment_identity_hook,  # noqa: F401
        own_work_dir_hook,  # noqa: F401
    )
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = {}
    hooks = cfg.default_hooks
    configured = [*hooks.values(), *cfg.get('custom_hooks', [])]
    for name, kind in RESUME_GUARDS.items():
        if name in hooks or any(
                isinstance(hook, dict)
                and _type_name(hook.get('type')) == _type_name(kind)
                for hook in configured):
            continue
        hooks[name] = dict(type=kind)


def _checkpoint_number(path: str) -> int:
    match = re.search(r'(?:epoch|iter)_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def resume_candidates(work_dir: str,
                      ckpt_dir: Optional[str] = None) -> List[str]:
    """The checkpoint ``last_checkpoint`` names first, then the others,
    newest first; all of them in ``ckpt_dir`` (default: ``work_dir``).

    ``last_checkpoint`` holds an absolute path (mmengine): one in another
    folder is re-rooted to ``ckpt_dir``, with one line saying so.
    """
    ckpt_dir = osp.abspath(ckpt_dir or work_dir)
    candidates = sorted(
        glob.glob(osp.join(ckpt_dir, 'epoch_*.pth')) +
        glob.glob(osp.join(ckpt_dir, 'iter_*.pth')),
        key=lambda p: (_checkpoint_number(p), osp.getmtime(p)),
        reverse=True)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            named, moved_from = reroot(named, ckpt_dir)
            if moved_from is not None:
                announce_reroot(moved_from, ckpt_dir)
            if osp.isfile(named):
                candidates = [named] + [
                    c for c in candidates
                    if osp.abspath(c) != osp.abspath(named)]
    return candidates


def is_loadable(path: str) -> bool:
    try:
        torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # any failure means: do not resume from it
        warnings.warn(f'Skipping unreadable checkpoint {path}: '
                      f'{type(error).__name__}: {str(error)[:200]}')
        return False
    return True


def find_resumable_checkpoint(work_dir: str,
                              ckpt_dir: Optional[str] = None
                              ) -> Optional[str]:
    """The newest checkpoint in ``ckpt_dir`` (default: ``work_dir``) that
    loads, or None."""
    for path in resume_candidates(work_dir, ckpt_dir):
        if is_loadable(path):
            return path
    return None
