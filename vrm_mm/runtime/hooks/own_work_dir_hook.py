"""Keep a resumed run inside its own work_dir (see vrm_mm/utils/work_dir.py).
"""
import os.path as osp
from typing import Optional

from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS
from vrm_mm.utils.work_dir import (
    RECORD_KEYS,
    announce_reroot,
    checkpoint_dir,
    is_inside,
    reroot,
)


class _ConfinedBackend:
    """A file backend whose ``remove``/``rmtree`` refuse paths outside
    ``folder`` (with a warning); everything else is the backend's."""

    def __init__(self, backend, folder: str, logger) -> None:
        self._backend = backend
        self._folder = folder
        self._logger = logger

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def _allowed(self, path) -> bool:
        if is_inside(str(path), self._folder):
            return True
        self._logger.warning(
            f'vrm_mm: not deleting {path}: it is outside this run\'s '
            f'checkpoint folder {self._folder} (a record of another '
            'work_dir); a run deletes only its own files.')
        return False

    def remove(self, path) -> None:
        if self._allowed(path):
            self._backend.remove(path)

    def rmtree(self, path) -> None:
        if self._allowed(path):
            self._backend.rmtree(path)


def _is_record(key: str) -> bool:
    return key in RECORD_KEYS or key.startswith('best_ckpt_')


@HOOKS.register_module()
class OwnWorkDirHook(Hook):
    """A resumed run reads and deletes only files of its own work_dir.

    * After a checkpoint is loaded to resume (``after_load_checkpoint``,
      before mmengine restores its message hub), the message hub's records
      of checkpoint files (``last_ckpt``, ``best_ckpt``,
      ``best_ckpt_<metric>``), absolute paths of the folder the checkpoint
      was saved in, are re-rooted to this run's checkpoint folder (one line
      says so). ``CheckpointHook`` then replaces this run's best checkpoint,
      not the original work_dir's.
    * From ``before_train`` on, ``CheckpointHook`` deletes nothing outside
      this run's checkpoint folder (a warning names what it kept).

    ``tools/train.py`` adds this hook to every run. No options.
    """

    priority = 'LOWEST'  # before_train: after CheckpointHook's

    def __init__(self) -> None:
        self.folder: Optional[str] = None

    def _checkpoint_hook(self, runner: Runner) -> Optional[CheckpointHook]:
        return next((hook for hook in runner.hooks
                     if isinstance(hook, CheckpointHook)), None)

    def before_run(self, runner: Runner) -> None:
        # CheckpointHook.before_train joins out_dir with the work_dir's name
        hook = self._checkpoint_hook(runner)
        out_dir = None if hook is None else hook.out_dir
        self.folder = checkpoint_dir(runner.work_dir,
                                     None if out_dir is None else str(out_dir))

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        info = (checkpoint.get('message_hub') or {}).get('runtime_info')
        if not info:
            return
        folder = self.folder or osp.abspath(runner.work_dir)
        for key in [key for key in info if _is_record(key)]:
            if not isinstance(info[key], str):
                continue
            info[key], moved_from = reroot(info[key], folder)
            if moved_from is not None:
                announce_reroot(moved_from, folder, runner.logger.info)

    def before_train(self, runner: Runner) -> None:
        folder = self.folder or osp.abspath(runner.work_dir)
        for hook in runner.hooks:
            backend = getattr(hook, 'file_backend', None)
            if isinstance(hook, CheckpointHook) and backend is not None and (
                    not isinstance(backend, _ConfinedBackend)):
                hook.file_backend = _ConfinedBackend(backend, folder,
                                                     runner.logger)
