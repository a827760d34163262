"""Stop on (or skip) a NaN or infinite loss before it reaches the weights."""
from typing import List, Mapping, Optional

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS
from vrm_mm.utils.errors import NonFiniteLossError

POLICIES = ('raise', 'skip')

_HINTS = (
    'Lower the learning rate (optim_wrapper.optimizer.lr) or clip gradients '
    '(optim_wrapper.clip_grad=dict(max_norm=...)); under AMP train in '
    "bfloat16 (optim_wrapper.dtype='bfloat16') or without --amp; check "
    'that the teacher checkpoint and the data hold finite values.')


def _is_finite_everywhere(loss: torch.Tensor) -> bool:
    """Whether ``loss`` is finite on every rank (one flag all-reduced)."""
    finite = torch.isfinite(loss.detach()).all()
    if dist.is_available() and dist.is_initialized() and (
            dist.get_world_size() > 1):
        flag = finite.to(torch.int32)
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        finite = flag.bool()
    return bool(finite)


def _non_finite_terms(outputs: Optional[Mapping]) -> List[str]:
    terms = [
        f'{key}={value.item()}' for key, value in (outputs or {}).items()
        if isinstance(value, torch.Tensor) and value.numel() == 1
        and not torch.isfinite(value)
    ]
    # the total is non-finite because of the terms
    return [term for term in terms if not term.startswith('loss=')] or terms


@HOOKS.register_module()
class NanGuardHook(Hook):
    """Check every training loss for NaN/Inf before the optimizer step.

    The optimizer wrapper's ``update_params`` (what ``train_step`` calls
    with the summed loss) is wrapped: a finite loss trains as usual; a
    non-finite one is back-propagated (so DDP's gradient reduction stays in
    step on every rank), its gradients are discarded and no optimizer step
    is taken: the weights and the optimizer state stay as they were. After
    the iteration, with ``policy='raise'`` training stops with
    :class:`~vrm_mm.utils.errors.NonFiniteLossError` naming the iteration,
    the loss terms that went bad and what to try; nothing is saved after the
    bad step, so the last checkpoint is the last good state. With
    ``policy='skip'`` the step is logged as skipped, the model's buffers
    (BatchNorm statistics, which the forward pass moved) are restored from
    a copy taken before the iteration, and training goes on, up to
    ``max_consecutive_skips`` bad steps in a row.

    The check costs one ``isfinite`` on the summed loss per step (plus a
    one-element all-reduce under DDP, so that every rank decides alike, and
    with ``'skip'`` a copy of the buffers).
    It works for any mmengine model, distillers and plain classifiers.
    Gradients are not checked (a finite loss can have NaN gradients). With
    gradient accumulation a bad step also discards the gradients
    accumulated since the last update.

    Example config (``configs/_base_/default_runtime.py`` has the raise
    policy)::

        default_hooks = dict(nan_guard=dict(type='NanGuardHook',
                                            policy='skip'))

    Args:
        policy: ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        max_consecutive_skips: With ``'skip'``, raise after this many bad
            steps in a row. Defaults to 10.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 policy: str = 'raise',
                 max_consecutive_skips: int = 10) -> None:
        if policy not in POLICIES:
            raise ValueError(f'NanGuardHook: policy={policy!r} is not one '
                             f'of {POLICIES}.')
        if max_consecutive_skips < 1:
            raise ValueError('NanGuardHook: max_consecutive_skips must be '
                             f'>= 1, got {max_consecutive_skips}.')
        self.policy = policy
        self.max_consecutive_skips = max_consecutive_skips
        self._bad_step = False
        self._consecutive_skips = 0
        self._wrappers: List[OptimWrapper] = []
        self._buffers: List[torch.Tensor] = []

    @staticmethod
    def _model(runner: Runner) -> torch.nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner: Runner) -> None:
        optim_wrapper = runner.optim_wrapper
        self._wrappers = list(optim_wrapper.values()) if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        for wrapper in self._wrappers:
            wrapper.update_params = self._guard(wrapper)

    def after_train(self, runner: Runner) -> None:
        for wrapper in self._wrappers:
            # drop the instance attribute: the class method is back
            vars(wrapper).pop('update_params', None)
        self._wrappers = []

    def _guard(self, wrapper: OptimWrapper):
        update_params = type(wrapper).update_params.__get__(wrapper)

        def guarded_update_params(loss: torch.Tensor,
                                  step_kwargs: Optional[dict] = None,
                                  zero_kwargs: Optional[dict] = None):
            if _is_finite_everywhere(loss):
                return update_params(loss, step_kwargs, zero_kwargs)
            self._bad_step = True
            wrapper.backward(wrapper.scale_loss(loss))
            wrapper.zero_grad(**(zero_kwargs or {}))

        return guarded_update_params

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if self.policy == 'skip':
            self._buffers = [
                buffer.detach().clone()
                for buffer in self._model(runner).buffers()
            ]

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[Mapping] = None) -> None:
        if not self._bad_step:
            self._consecutive_skips = 0
            return
        self._bad_step = False
        self._consecutive_skips += 1
        terms = _non_finite_terms(outputs) or [
            'the loss on another rank']
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                 f'batch {batch_idx + 1})')
        what = f'Non-finite loss at {where}: {", ".join(terms)}.'
        if self.policy == 'skip':
            with torch.no_grad():
                for buffer, saved in zip(self._model(runner).buffers(),
                                         self._buffers):
                    buffer.copy_(saved)
            runner.logger.warning(
                f'{what} Step skipped: weights and optimizer state '
                'unchanged (NanGuardHook policy=skip).')
            if self._consecutive_skips < self.max_consecutive_skips:
                return
            what = (f'{self._consecutive_skips} non-finite losses in a row; '
                    f'the last: {what}')
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f' The last checkpoint, {last}, predates it.'
                if last else '')
        raise NonFiniteLossError(
            f'{what} The step was not applied and nothing was saved after '
            f'it.{kept} {_HINTS} To skip such steps instead: '
            "default_hooks.nan_guard=dict(type='NanGuardHook', "
            "policy='skip').")
