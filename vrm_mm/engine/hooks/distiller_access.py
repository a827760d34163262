"""Reach the distiller behind a Runner's (possibly DDP-wrapped) model."""
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn


def get_distiller(runner: Runner, attribute: str, hook: str) -> nn.Module:
    """The unwrapped model, which must have ``attribute``.

    Raises:
        TypeError: If the model is not a distiller (a plain classifier with
            a distillation hook in ``custom_hooks``).
    """
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    if not hasattr(model, attribute):
        raise TypeError(
            f'{hook} needs a distiller (e.g. SingleTeacherDistiller) with '
            f'`{attribute}`, but the model is a {type(model).__name__}; '
            'remove the hook from custom_hooks.')
    return model
