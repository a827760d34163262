"""A hook that kills training with SIGKILL, for the resume tests."""
import os
import signal

from mmengine.hooks import Hook

from vrm_mm.registry import HOOKS


@HOOKS.register_module()
class KillAfterTrainEpochForTests(Hook):
    """SIGKILL the process after training epoch ``epoch`` (1-based), before
    its checkpoint is saved: the work dir keeps the previous epoch's."""

    priority = 'HIGHEST'  # before CheckpointHook

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)
