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
    ``loss_weight = base * min((t + count_from) / warmup, 1)``, ``base``
    its configured weight and ``t`` the 0-based epoch (``by_epoch=True``)
    or iteration. With ``count_from=1`` the first epoch trains at
    ``base / warmup`` and epoch ``warmup`` (1-based) at full weight, as in
    mdistiller's DKD and ReviewKD (epochs counted from 1); with
    ``count_from=0`` the first epoch trains at weight 0, as in ReviewKD's
    released CIFAR-100/train.py (``min(1, epoch / args.kd_warm_up)`` over
    ``range(args.epochs)``, line 225). The factor
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
        count_from: What the first epoch (iteration) counts as, 1 or 0.
            Defaults to 1.
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup: int = 20,
                 by_epoch: bool = True,
                 loss_names: Optional[Sequence[str]] = None,
                 count_from: int = 1) -> None:
        if warmup < 1:
            raise ValueError(f'warmup must be >= 1, got {warmup}.')
        if count_from not in (0, 1):
            raise ValueError(
                f'count_from must be 0 or 1 (what the first epoch counts '
                f'as), got {count_from!r}.')
        self.count_from = count_from
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
        return min((step + self.count_from) / self.warmup, 1.0)

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
