"""A hook that keeps a run inside an iteration after a stop signal, for
the test that a second Ctrl-C aborts at once."""
import os.path as osp
import time

from mmengine.hooks import Hook

from vrm_mm.registry import HOOKS
from vrm_mm.runtime.hooks import PreemptionHook

WAITING = 'waiting_for_signal'  # "send the first signal now"
HOLDING = 'holding_after_signal'  # "the first arrived: send the second"


@HOOKS.register_module()
class HoldAfterSignalForTests(Hook):
    """At iteration ``iteration`` (1-based), before ``PreemptionHook``
    looks: write ``work_dir/waiting_for_signal``, wait until a signal has
    reached ``PreemptionHook``, write ``work_dir/holding_after_signal`` and
    keep the iteration busy for up to ``hold`` seconds."""

    priority = 'NORMAL'  # before PreemptionHook (LOWEST)

    def __init__(self, iteration: int, hold: float = 120) -> None:
        self.iteration = iteration
        self.hold = hold

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 != self.iteration:
            return
        hook = next(h for h in runner.hooks if isinstance(h, PreemptionHook))
        open(osp.join(runner.work_dir, WAITING), 'w').close()
        deadline = time.monotonic() + 120
        while hook.received is None and time.monotonic() < deadline:
            time.sleep(0.01)
        open(osp.join(runner.work_dir, HOLDING), 'w').close()
        time.sleep(self.hold)
