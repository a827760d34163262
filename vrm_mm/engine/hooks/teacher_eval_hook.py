"""Evaluate the frozen teacher on the validation set."""
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS

from .distiller_access import get_distiller

MODES = ('once', 'never', 'every')


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Log the teacher's validation metrics, e.g. ``teacher/accuracy/top1``.

    A teacher that loaded the wrong checkpoint, or sees wrongly normalised
    inputs, shows here as a low accuracy before any training time is spent.
    The teacher runs on the validation dataloader with the validation
    evaluator; the metrics go to the log, the message hub and the
    visualizer backends. Example config::

        custom_hooks = [dict(type='TeacherEvalHook', mode='once')]

    Args:
        mode: ``'once'`` before training (also after a resume),
            ``'every'`` before training and after every validation,
            ``'never'`` to disable. Defaults to ``'once'``.
    """

    priority = 'LOW'

    def __init__(self, mode: str = 'once') -> None:
        if mode not in MODES:
            raise ValueError(
                f'TeacherEvalHook mode must be one of {MODES}, got {mode!r}.')
        self.mode = mode

    def before_train(self, runner: Runner) -> None:
        if self.mode != 'never':
            self.evaluate(runner)

    def after_val_epoch(self,
                        runner: Runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if self.mode == 'every':
            self.evaluate(runner)

    def evaluate(self, runner: Runner) -> Optional[Dict[str, float]]:
        """Run and log the teacher's validation; None without validation."""
        distiller = get_distiller(runner, 'predict_teacher',
                                  type(self).__name__)
        val_loop = runner.val_loop
        if val_loop is None or not hasattr(val_loop, 'evaluator'):
            runner.logger.warning(
                'TeacherEvalHook: no validation dataloader and evaluator; '
                'the teacher is not evaluated.')
            return None
        dataloader, evaluator = val_loop.dataloader, val_loop.evaluator
        with torch.no_grad():
            for data_batch in dataloader:
                data = distiller.data_preprocessor(data_batch, False)
                outputs = distiller.predict_teacher(**data)
                evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = evaluator.evaluate(len(dataloader.dataset))
        scalars = {f'teacher/{key}': value for key, value in metrics.items()}
        for key, value in scalars.items():
            runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(scalars, step=runner.iter)
        runner.logger.info('Teacher on the validation set: ' + ', '.join(
            f'{key}: {value:.4f}' for key, value in scalars.items()))
        return scalars
