"""Save a checkpoint and exit with "resume me" when the job is told to stop.

Cluster schedulers signal a job before they kill it: Slurm sends SIGTERM on
preemption or ``scancel`` (then SIGKILL after ``KillWait``, 30 s by
default) and, with ``--signal=USR1@120``, SIGUSR1 two minutes before the time
limit. A user stops a run with Ctrl-C (SIGINT): the first one stops it as
SIGTERM does, a second one aborts at once. ``tools/train.py`` adds
:class:`PreemptionHook` to every run.
"""
import atexit
import functools
import os
import os.path as osp
import signal
import sys
import threading
from typing import Callable, Optional, Sequence

import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop, Runner

from vrm_mm.registry import HOOKS
from vrm_mm.runtime.launch import close_distributed
from vrm_mm.utils.atomic_save import atomic_write_bytes
from vrm_mm.utils.distributed import release_ddp

# sysexits.h EX_TEMPFAIL, "a temporary failure: the user is invited to retry
# later". Distinct from 1 (our clear errors, Python's tracebacks), 2
# (argparse), 124 (timeout(1): a hang) and 128+N (killed by signal N).
EXIT_RESUME = 75
# Set by a launcher that reports a rank's non-zero exit as a crash (torchrun
# does, and stops the other ranks): the ranks then exit 0 and each node's
# local rank 0 writes the status to this file (see tools/dist_train.sh).
STATUS_FILE_ENV = 'VRM_MM_EXIT_STATUS_FILE'


def _ignore_in_worker(signals: Sequence[int], init_fn: Optional[Callable],
                      worker_id: int) -> None:
    """A data loader worker's init: ignore the stop signals, then the
    loader's own init. torch's workers otherwise die on SIGTERM (and on
    SIGUSR1), and the main process raises at once: the iteration could not
    finish. The workers stop with the main process as usual."""
    for signum in signals:
        signal.signal(signum, signal.SIG_IGN)
    if init_fn is not None:
        init_fn(worker_id)


def _stop_workers(loader) -> None:
    """Shut the loader's worker processes down now. They ignore SIGTERM,
    which multiprocessing's exit handler sends its daemons before joining
    them: left running, they would hang the exit of a finished (or
    failed) run."""
    workers = getattr(loader, '_iterator', None)
    if workers is not None and hasattr(workers, '_shutdown_workers'):
        workers._shutdown_workers()


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM, SIGUSR1 or Ctrl-C: finish the iteration, save, exit 75.

    The signal handler only sets a flag. After each training iteration the
    flag is all-reduced (max) over the ranks, so that all ranks stop after
    the same iteration, even when only one was signalled. Rank 0 then saves
    ``iter_<n>.pth`` (atomically, with the optimizer, schedulers and
    message hub, as ``CheckpointHook`` saves an iteration checkpoint) and
    points ``last_checkpoint`` at it, so ``tools/train.py --resume`` finds
    it; after a barrier every rank exits with status :data:`EXIT_RESUME`
    (75). A signal during the last iteration of an epoch stops after the
    epoch-end hooks instead (``epoch_<e>.pth``: the scheduler has stepped, the
    epoch is done; validation of that epoch is skipped). A file that
    ``CheckpointHook`` has just written for the same step is not written
    twice. Data loader workers ignore the signals, so that one sent to the
    whole process group (as Slurm does) does not kill them mid-batch.
    Under a launcher that sets ``VRM_MM_EXIT_STATUS_FILE`` (torchrun via
    ``tools/dist_train.sh``, which would report 75 as a crash) the ranks
    exit 0 and the status goes to that file. A SIGINT once a stop was
    requested (Ctrl-C twice) kills the process at once by SIGINT (exit
    130 in a shell), without saving: the checkpoints already written are
    complete (atomic saves). Before exiting, the process group is
    destroyed (see :func:`~vrm_mm.runtime.launch.close_distributed`).
    Costs one 1-element all-reduce per iteration under DDP.

    Example config (``tools/train.py`` adds the default)::

        custom_hooks = [dict(type='PreemptionHook', signals=['SIGUSR1'])]

    Args:
        signals: names of the signals that request the stop.
            Defaults to ``('SIGTERM', 'SIGUSR1', 'SIGINT')``.
        exit_code: the exit status after the save. Defaults to 75.
    """

    priority = 'LOWEST'  # after the logger and CheckpointHook

    def __init__(self, signals=('SIGTERM', 'SIGUSR1', 'SIGINT'),
                 exit_code: int = EXIT_RESUME) -> None:
        unknown = [name for name in signals
                   if not isinstance(getattr(signal, str(name), None),
                                     signal.Signals)]
        if unknown or not signals:
            raise ValueError(f'PreemptionHook: signals={list(signals)!r}: '
                             'give signal names such as SIGTERM, SIGUSR1.')
        self.signals = [getattr(signal, name) for name in signals]
        self.exit_code = exit_code
        self.received: Optional[int] = None
        self._stop_at_epoch_end = False
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        if self.received is None:
            self.received = signum
            if signum == signal.SIGINT:
                print('PreemptionHook: SIGINT received: finishing the '
                      'iteration, then saving; press Ctrl-C again to abort '
                      'at once without saving.', file=sys.stderr, flush=True)
        elif signum == signal.SIGINT:
            # a second Ctrl-C: die by SIGINT, as an unhandled one would
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)

    def before_train(self, runner: Runner) -> None:
        if threading.current_thread() is not threading.main_thread():
            runner.logger.warning('PreemptionHook: not in the main thread, '
                                  'signals cannot be handled.')
            return
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        loader = runner.train_dataloader
        loader.worker_init_fn = functools.partial(
            _ignore_in_worker, tuple(self.signals), loader.worker_init_fn)
        # atexit runs last-registered first: before multiprocessing's
        atexit.register(_stop_workers, loader)

    def after_train(self, runner: Runner) -> None:
        _stop_workers(runner.train_dataloader)
        self._restore_handlers()

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _stop_requested(self) -> bool:
        flag = torch.tensor([int(self.received is not None)])
        dist.all_reduce(flag, op='max')  # no-op in a single process
        return bool(flag.item())

    def after_train_iter(self, runner: Runner, batch_idx: int,
                         data_batch=None, outputs=None) -> None:
        if self._stop_at_epoch_end or not self._stop_requested():
            return
        loop = runner.train_loop
        if isinstance(loop, EpochBasedTrainLoop) and (
                batch_idx + 1 == len(loop.dataloader)):
            self._stop_at_epoch_end = True
            return
        step = runner.iter + 1
        self._save_and_exit(runner, f'iter_{step}.pth', by_epoch=False,
                            meta=dict(epoch=runner.epoch, iter=step))

    def after_train_epoch(self, runner: Runner) -> None:
        if self._stop_at_epoch_end:
            step = runner.epoch + 1
            self._save_and_exit(runner, f'epoch_{step}.pth', by_epoch=True,
                                meta=dict(epoch=step, iter=runner.iter))

    def _save_and_exit(self, runner: Runner, filename: str, by_epoch: bool,
                       meta: dict) -> None:
        path = osp.join(runner.work_dir, filename)
        last = runner.message_hub.get_info('last_ckpt')
        if last is None or osp.basename(last) != filename:
            runner.save_checkpoint(runner.work_dir, filename,
                                   by_epoch=by_epoch, meta=meta)
            runner.message_hub.update_info('last_ckpt', path)
            if dist.is_main_process():
                atomic_write_bytes(
                    path.encode(), osp.join(runner.work_dir,
                                            'last_checkpoint'))
        else:
            path = last
        dist.barrier()  # rank 0 has written before any rank exits
        _stop_workers(runner.train_dataloader)
        why = (f'{signal.Signals(self.received).name} received'
               if self.received is not None else
               'another rank received a stop signal')
        runner.logger.info(
            f'PreemptionHook: {why}; stopped after iteration '
            f'{meta["iter"]} (epoch {runner.epoch + 1}) and saved {path}. '
            f'Exiting with status {self.exit_code}: continue with '
            'tools/train.py CONFIG --resume.')
        # The SystemExit below skips tools/train.py's own close_distributed:
        # left to the interpreter's exit, a gloo worker thread can abort
        # the rank ("terminate called without an active exception", see
        # release_ddp). Freeing DDP and destroying the group joins those
        # threads while the interpreter still runs.
        release_ddp(runner)
        close_distributed()
        self._restore_handlers()
        status_file = os.environ.get(STATUS_FILE_ENV)
        if not status_file:
            raise SystemExit(self.exit_code)
        if int(os.environ.get('LOCAL_RANK', 0)) == 0:
            atomic_write_bytes(str(self.exit_code).encode(), status_file)
        raise SystemExit(0)
