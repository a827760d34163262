"""CTKD's curriculum: the gradient-reversal strength over training."""
import math
from types import SimpleNamespace
from typing import List, Sequence

from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS

from .distiller_access import get_distiller


def curriculum_lambda(step: int, epochs: int, lambda_min: float = 0.0,
                      lambda_max: float = 1.0) -> float:
    """``lambda_min + (lambda_max - lambda_min) * (1 - cos(pi * s / L)) / 2``.

    ``s = min(max(step, 0), L)`` is the 1-based epoch (or iteration) and
    ``L = epochs``: CTKD's ``CosineDecay`` (``train_student.py``), which
    rises from ``lambda_min`` to ``lambda_max`` at step ``L`` and stays.
    """
    s = min(max(step, 0), epochs)
    return lambda_min + (lambda_max - lambda_min) * (
        1 - math.cos(math.pi * s / epochs)) / 2


@HOOKS.register_module()
class CTKDCurriculumHook(Hook):
    """Set every ``CTKDLoss``'s ``grl_lambda`` before each iteration.

    ``lambda = curriculum_lambda(t + 1, epochs)`` with ``t`` the 0-based
    ``runner.epoch`` (``by_epoch=True``) or ``runner.iter``: a pure function
    of the runner's position, so a resumed run gets the same values without
    extra state. Logged as ``ctkd_lambda``.

    Example config (CTKD's CIFAR-100 script: ``--decay_loops 10``, lambda
    0 to 1)::

        custom_hooks = [dict(type='CTKDCurriculumHook', epochs=10)]

    Args:
        epochs: Length ``L`` of the cosine ramp, in epochs (or iterations
            with ``by_epoch=False``). Defaults to 10 (CTKD).
        lambda_min, lambda_max: Start and end of the ramp. Defaults to 0
            and 1 (CTKD: ``--decay_max 0 --decay_min -1``, negated by the
            reversal).
        by_epoch: Count ``epochs`` in epochs or iterations.
    """

    priority = 'NORMAL'

    def __init__(self, epochs: int = 10, lambda_min: float = 0.0,
                 lambda_max: float = 1.0, by_epoch: bool = True) -> None:
        if epochs < 1:
            raise ValueError(f'epochs must be >= 1, got {epochs}.')
        self.epochs = epochs
        self.lambda_min, self.lambda_max = lambda_min, lambda_max
        self.by_epoch = by_epoch

    def _losses(self, runner: Runner) -> List:
        losses = get_distiller(runner, 'distill_losses',
                               type(self).__name__).distill_losses
        found = [loss for loss in losses.values()
                 if hasattr(loss, 'grl_lambda')]
        if not found:
            raise ValueError(
                'CTKDCurriculumHook found no CTKDLoss among the '
                f'distillation losses {list(losses)}; remove the hook or '
                'add a CTKDLoss.')
        return found

    def before_train(self, runner: Runner) -> None:
        self._losses(runner)

    def lambda_at(self, runner: Runner) -> float:
        """The strength for the coming iteration."""
        step = (runner.epoch if self.by_epoch else runner.iter) + 1
        return curriculum_lambda(step, self.epochs, self.lambda_min,
                                 self.lambda_max)

    def before_train_iter(self, runner: Runner, batch_idx: int,
                          data_batch=None) -> None:
        value = self.lambda_at(runner)
        for loss in self._losses(runner):
            loss.grl_lambda = value
        runner.message_hub.update_scalar('train/ctkd_lambda', value)


def apply_curriculum(custom_hooks: Sequence[dict], model, epoch: int = 0,
                     iteration: int = 0) -> None:
    """Outside a Runner (tests, benchmarks): set what every
    ``CTKDCurriculumHook`` of ``custom_hooks`` (config dicts) sets before
    the iteration at ``(epoch, iteration)``; other hooks are ignored."""
    runner = SimpleNamespace(
        model=model, epoch=epoch, iter=iteration,
        message_hub=MessageHub.get_instance('apply_curriculum'))
    for hook in custom_hooks:
        if hook['type'] in ('CTKDCurriculumHook',
                            'vrm_mm.CTKDCurriculumHook'):
            cfg = {k: v for k, v in hook.items() if k != 'type'}
            CTKDCurriculumHook(**cfg).before_train_iter(runner, iteration)
