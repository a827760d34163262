"""CTKD's learnable temperatures behind a gradient-reversal layer.

Li et al., "Curriculum Temperature for Knowledge Distillation", AAAI 2023;
public code github.com/zhengli97/CTKD (``models/temp_global.py``).
"""
from typing import Optional

import torch
from torch import Tensor, nn

from vrm_mm.registry import MODELS

# CTKD's train_student.py: --t_start 1 --t_end 20, T = 1 + 20 sigmoid(.)
T_START, T_RANGE = 1.0, 20.0


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by ``-lambda``."""

    @staticmethod
    def forward(ctx, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor):
        return -ctx.lambda_ * grad, None


def reverse_gradient(x: Tensor, lambda_: float) -> Tensor:
    """Gradient reversal (Ganin & Lempitsky, 2015) of strength ``lambda_``."""
    return _ReverseGradient.apply(x, lambda_)


class _Temperature(nn.Module):
    """``T = t_start + t_range * sigmoid(reverse_gradient(raw, lambda))``."""

    def __init__(self, t_start: float, t_range: float) -> None:
        super().__init__()
        if t_start <= 0 or t_range < 0:
            raise ValueError('CTKD needs t_start > 0 and t_range >= 0, got '
                             f't_start={t_start}, t_range={t_range}.')
        self.t_start, self.t_range = t_start, t_range

    def raw(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                lambda_: float) -> Tensor:
        """One temperature per sample, ``B``."""
        raw = reverse_gradient(self.raw(preds_S, preds_T), lambda_)
        temperature = self.t_start + self.t_range * torch.sigmoid(raw)
        return temperature.expand(preds_S.shape[0])


@MODELS.register_module()
class GlobalTemperature(_Temperature):
    """CTKD's Global-T: one learnable temperature for every sample.

    Args:
        init: Initial raw value; ``T = t_start + t_range * sigmoid(init)``
            (CTKD's code: 1, so T starts at 1 + 20 sigmoid(1) = 15.6).
        t_start: Lowest temperature. Defaults to 1 (CTKD's code).
        t_range: Width of the temperature range. Defaults to 20.
    """

    def __init__(self, init: float = 1.0, t_start: float = T_START,
                 t_range: float = T_RANGE) -> None:
        super().__init__(t_start, t_range)
        self.value = nn.Parameter(torch.full((1, ), float(init)))

    def raw(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return self.value


@MODELS.register_module()
class InstanceTemperature(_Temperature):
    """CTKD's Instance-T: a 2-layer MLP maps each sample's logits to its T.

    The MLP reads the concatenated teacher and student logits, detached:
    only the MLP learns through the reversed gradient, the student learns
    from the distillation loss alone. (CTKD released this variant as an
    archive outside its repository; the hidden width is our choice.)

    Args:
        num_classes: Width of the logits.
        hidden: Hidden width of the MLP. Defaults to 256 (our choice).
        t_start, t_range: As :class:`GlobalTemperature`.
    """

    def __init__(self, num_classes: Optional[int] = None, hidden: int = 256,
                 t_start: float = T_START, t_range: float = T_RANGE) -> None:
        super().__init__(t_start, t_range)
        if not num_classes or num_classes < 1:
            raise ValueError(
                'InstanceTemperature needs num_classes, the width of the '
                'logits, e.g. num_classes=100 for CIFAR-100.')
        self.num_classes = num_classes
        self.mlp = nn.Sequential(
            nn.Linear(2 * num_classes, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 1))

    def raw(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        if preds_S.shape[1] != self.num_classes:
            raise ValueError(
                f'InstanceTemperature was built for {self.num_classes} '
                f'classes but got logits of width {preds_S.shape[1]}; set '
                'num_classes to the number of classes.')
        return self.mlp(torch.cat([preds_T, preds_S], 1).detach())[:, 0]
