"""Hooks that signal a training run at a given iteration, for the
preemption tests."""
import atexit
import os
import os.path as osp
import signal
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from vrm_mm.registry import HOOKS
from vrm_mm.runtime.hooks import PreemptionHook

WAITING = 'waiting_for_signal'  # the file that says "signal me now"


def exit_file(work_dir: str, rank: int) -> str:
    return osp.join(work_dir, f'exit_iteration_rank{rank}')


@HOOKS.register_module()
class SignalAtIterationForTests(Hook):
    """At iteration ``iteration`` (1-based), before ``PreemptionHook``
    looks: with ``send``, rank ``rank`` signals itself; otherwise the run
    writes ``work_dir/waiting_for_signal`` and waits (up to 120 s) until a
    signal from outside has reached ``PreemptionHook``. Every rank writes
    the iteration it exits at to :func:`exit_file`."""

    priority = 'NORMAL'  # before PreemptionHook (LOWEST)

    def __init__(self, iteration: int, send: str = None,
                 rank: int = 0) -> None:
        self.iteration = iteration
        self.send = send
        self.rank = rank

    def before_train(self, runner) -> None:
        path = exit_file(runner.work_dir, get_rank())
        atexit.register(
            lambda: open(path, 'w').write(str(runner.iter)))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 != self.iteration:
            return
        if self.send is not None:
            if get_rank() == self.rank:
                os.kill(os.getpid(), getattr(signal, self.send))
            return
        hook = next(h for h in runner.hooks if isinstance(h, PreemptionHook))
        open(osp.join(runner.work_dir, WAITING), 'w').close()
        deadline = time.monotonic() + 120
        while hook.received is None and time.monotonic() < deadline:
            time.sleep(0.01)
