"""A run reads and writes only its own work_dir, wherever that now is.

mmengine records the checkpoints of a run as absolute paths: the
``work_dir/last_checkpoint`` file (written by ``CheckpointHook`` and
``PreemptionHook``) and, in every checkpoint's message hub, ``last_ckpt``
and the best-checkpoint record ``best_ckpt`` (``best_ckpt_<metric>`` for
several metrics). In a copied or moved work_dir these still name the
original folder: ``--resume`` would continue from the original's
checkpoint and ``CheckpointHook`` would delete the original's best
checkpoint when the copy finds a better one.

The records keep mmengine's format (``tools/demo.py``, benchmarks and
mmengine's own ``find_latest_checkpoint`` read them), and are resolved
against the run's checkpoint folder when read: a record naming another
folder is re-rooted to the same file name in this one, with one line
saying so (:func:`announce_reroot`). A file outside the run's checkpoint
folder is never deleted (see ``vrm_mm.runtime.hooks.OwnWorkDirHook``).
"""
import os
import os.path as osp
from typing import Callable, Optional, Set, Tuple

# the message hub's records of checkpoint files (mmengine CheckpointHook:
# 'last_ckpt', 'best_ckpt' and, for several save_best metrics,
# 'best_ckpt_<metric>')
RECORD_KEYS = ('last_ckpt', 'best_ckpt')

_announced: Set[Tuple[str, str]] = set()


def checkpoint_dir(work_dir: str, out_dir: Optional[str] = None) -> str:
    """Where ``CheckpointHook`` saves: ``work_dir``, or with its
    ``out_dir`` option ``out_dir/<work_dir's name>`` (mmengine
    ``CheckpointHook.before_train``)."""
    work_dir = osp.abspath(work_dir)
    if out_dir is None or osp.abspath(out_dir) == work_dir:
        return work_dir
    name = osp.basename(work_dir.rstrip(osp.sep))
    if _is_uri(out_dir):  # a remote backend's: joined as mmengine does
        return out_dir.rstrip('/') + '/' + name
    return osp.join(osp.abspath(out_dir), name)


def checkpoint_dir_of(cfg) -> str:
    """:func:`checkpoint_dir` for a training config."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    return checkpoint_dir(cfg.work_dir, hook.get('out_dir'))


def _is_uri(path: str) -> bool:
    return '://' in path


def is_inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or below it (lexically)."""
    if _is_uri(path) or _is_uri(folder):
        return path.startswith(folder.rstrip('/') + '/')
    path, folder = osp.abspath(path), osp.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(osp.sep) + osp.sep)


def reroot(path: str, folder: str) -> Tuple[str, Optional[str]]:
    """A recorded checkpoint path resolved against the run's ``folder``.

    Returns:
        ``(path in folder, None)`` for a relative record or one already in
        ``folder``; ``(folder/<file name>, the other folder)`` for a record
        naming a file in another folder (a copied or moved work_dir).
        Records of remote storage (``s3://...``) and records when the
        checkpoint folder is remote are returned as they are.
    """
    if _is_uri(path) or _is_uri(folder):
        return path, None
    folder = osp.abspath(folder)
    if not osp.isabs(path):
        return osp.normpath(osp.join(folder, path)), None
    path = osp.normpath(path)
    if osp.dirname(path) == folder:
        return path, None
    if osp.realpath(osp.dirname(path)) == osp.realpath(folder):
        return osp.join(folder, osp.basename(path)), None  # via a symlink
    return osp.join(folder, osp.basename(path)), osp.dirname(path)


def _is_main_process() -> bool:
    # also before the process group exists (torchrun, srun set these)
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    return rank == '0'


def announce_reroot(old: str, new: str,
                    emit: Optional[Callable[[str], None]] = None) -> None:
    """Say once per process (on rank 0) that records of ``old`` are read
    as records of ``new``."""
    if (old, new) in _announced:
        return
    _announced.add((old, new))
    if not _is_main_process():
        return
    (emit or print)(
        f'vrm_mm: {new} holds records of {old} (a moved or copied '
        f'work_dir): they are re-rooted to {new}; nothing in {old} is '
        'read, changed or deleted.')
