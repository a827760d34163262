"""Linear warm-up of distillation loss weights."""
from typing import Dict, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop, Runner

from vrm_mm.registry import HOOKS

from .distiller_access import get_distiller


@HOOKS.register_module()
class DistillLossWarmupHook(Hook):
    """Ramp the ``loss_weight`` of distillation losses up linearly.

    Before every training iteration each selected loss gets
    ``loss_weight = base * min((t + 1) / warmup, 1)``, ``base`` its
    configured weight and ``t`` the 0-based epoch (``by_epoch=True``) or
    iteration. The first epoch thus trains at ``base / warmup`` and epoch
    ``warmup`` (1-based) at full weight, as in mdistiller's DKD. The factor
    is recomputed from ``runner.epoch`` / ``runner.iter``, so a resumed run
    continues exactly without extra state. It is logged as
    ``distill_warmup_factor``.

    Example config (DKD's 20-epoch warm-up on CIFAR)::

        custom_hooks = [
            dict(type='DistillLossWarmupHook', warmup=20, by_epoch=True,
                 loss_names=['loss_dkd'])]

    Args:
        warmup: Length of the ramp in epochs or iterations. Defaults to 20.
        by_epoch: Count ``warmup`` in epochs (True) or iterations.
            Defaults to True.
        loss_names: Keys of ``distill_losses`` to ramp; None ramps every
            distillation loss. Defaults to None.
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup: int = 20,
                 by_epoch: bool = True,
                 loss_names: Optional[Sequence[str]] = None) -> None:
        if warmup < 1:
            raise ValueError(f'warmup must be >= 1, got {warmup}.')
        self.warmup = warmup
        self.by_epoch = by_epoch
        self.loss_names = None if loss_names is None else list(loss_names)
        self._base_weights: Optional[Dict[str, float]] = None

    def before_train(self, runner: Runner) -> None:
        """Record the configured weights, before any ramping."""
        if self.by_epoch and isinstance(
                getattr(runner, 'train_loop', None), IterBasedTrainLoop):
            raise ValueError(
                'DistillLossWarmupHook(by_epoch=True) in an iteration-based '
                'training loop would never leave epoch 0: set '
                'by_epoch=False and give `warmup` in iterations.')
        losses = get_distiller(runner, 'distill_losses',
                               type(self).__name__).distill_losses
        names = list(losses) if self.loss_names is None else self.loss_names
        unknown = [name for name in names if name not in losses]
        if unknown:
            raise ValueError(
                f'DistillLossWarmupHook: no distillation loss {unknown}; '
                f'the distiller has {list(losses)}.')
        no_weight = [
            name for name in names if not hasattr(losses[name], 'loss_weight')
        ]
        if no_weight:
            raise ValueError(
                f'DistillLossWarmupHook: {no_weight} have no `loss_weight` '
                'attribute to ramp.')
        self._base_weights = {
            name: losses[name].loss_weight
            for name in names
        }

    def factor(self, runner: Runner) -> float:
        """The ramp factor for the coming iteration."""
        step = runner.epoch if self.by_epoch else runner.iter
        return min((step + 1) / self.warmup, 1.0)

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if self._base_weights is None:
            self.before_train(runner)
        losses = get_distiller(runner, 'distill_losses',
                               type(self).__name__).distill_losses
        factor = self.factor(runner)
        for name, base in self._base_weights.items():
            losses[name].loss_weight = base * factor
        runner.message_hub.update_scalar('train/distill_warmup_factor',
                                         factor)
