"""Helpers shared by the distillation losses."""
from typing import Union

import torch
import torch.nn.functional as F
from torch import Tensor


def check_pair(student: Tensor,
               teacher: Tensor,
               kind: str = 'logits',
               same_width: bool = True) -> None:
    """Check that student and teacher outputs can be compared row by row.

    Args:
        student: Student tensor, expected ``B x C`` (or ``B x D``).
        teacher: Teacher tensor, expected ``B x C`` (or ``B x D``).
        kind: What the tensors are, for the error message.
        same_width: Whether the second dimension must match too (logits:
            yes; pooled features compared through relations: no).

    Raises:
        ValueError: If either tensor is not 2-D, the batch sizes differ, or
            ``same_width`` and the widths differ.
    """
    if student.dim() != 2 or teacher.dim() != 2:
        raise ValueError(
            f'student and teacher {kind} must be 2-D (batch x width), got '
            f'shapes {tuple(student.shape)} and {tuple(teacher.shape)}; '
            'pass pooled outputs such as `student.logits` or '
            '`student.pre_logits`.')
    if student.shape[0] != teacher.shape[0]:
        raise ValueError(
            f'student and teacher {kind} have different batch sizes '
            f'({student.shape[0]} vs {teacher.shape[0]}); both must be '
            'computed on the same images.')
    if same_width and student.shape[1] != teacher.shape[1]:
        raise ValueError(
            f'student and teacher {kind} have different widths '
            f'({student.shape[1]} vs {teacher.shape[1]}); the two heads '
            'must predict the same classes (check `num_classes`).')


def at_least_float32(x: Tensor) -> Tensor:
    """``x`` in float32, or float64 if it already is (half precision is
    too coarse for the relation matrices; float64 serves gradcheck)."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def check_batch_size(batch_size: int, needed: int, what: str) -> None:
    """Raise a ValueError if a relation loss gets fewer samples than needed.

    Args:
        batch_size: Samples in the batch.
        needed: The fewest samples ``what`` can relate.
        what: The loss (term), for the message, e.g. ``'the SP loss'``.
    """
    if batch_size < needed:
        raise ValueError(
            f'{what} needs at least {needed} samples per batch, got '
            f'{batch_size}; use a larger batch or `drop_last=True` in the '
            'train dataloader so that no small last batch reaches the loss.')


def tempered_kl(preds_S: Tensor, preds_T: Tensor,
                temperature: Union[float, Tensor]) -> Tensor:
    """Per-sample ``T^2 * KL(softmax(z^T / T) || softmax(z^S / T))``.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C`` (no gradient is taken here:
            detach them first if needed).
        temperature: A float or a ``B x 1`` tensor of temperatures.

    Returns:
        ``B`` divergences.
    """
    log_p_S = F.log_softmax(preds_S / temperature, dim=1)
    log_p_T = F.log_softmax(preds_T / temperature, dim=1)
    return (temperature**2 * log_p_T.exp() * (log_p_T - log_p_S)).sum(1)


def standardize_logits(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Z-score each row: ``(z - mean(z)) / sqrt(var(z) + eps)``.

    ``var`` is the population variance over the last dimension. This is
    ``F.layer_norm`` without affine parameters; the ``eps`` under the root
    keeps value and gradient finite for constant rows (e.g. a zero-initialised
    head). The result is invariant to adding a constant to a row and (up to
    ``eps``) to scaling a row by a positive factor.
    """
    return F.layer_norm(logits, logits.shape[-1:], eps=eps)


def safe_normalize(x: Tensor, dim: int = -1, eps: float = 1e-12) -> Tensor:
    """Scale vectors along ``dim`` to unit length; zero vectors stay zero.

    Unlike ``F.normalize``, vectors of norm ``<= eps`` get zero gradient
    instead of a gradient of order ``1 / eps``: the direction of a vanishing
    difference (e.g. two identical samples) is undefined, so it must not
    drive training.
    """
    norm = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x * ((norm > eps) / norm.clamp_min(eps))
