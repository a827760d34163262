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
    """Z-score each row as LSKD's released code does.

    ``(z - mean(z)) / (eps + std(z))`` over the last dimension, with the
    sample standard deviation (``n - 1`` in the denominator, torch's default)
    and ``eps`` added to the standard deviation, not under the root. Released
    (github.com/sunshangquan/logit-standardization-KD,
    mdistiller/distillers/KD.py lines 7-10, the same ``normalize`` in DKD.py,
    MLKD.py and CTKD/distiller_zoo/KD.py)::

        mean = logit.mean(dim=-1, keepdims=True)
        stdv = logit.std(dim=-1, keepdims=True)
        return (logit - mean) / (1e-7 + stdv)

    Equal in value and gradient to the released function except on a
    constant row: there the result is 0 in both, but torch's ``std`` has a
    NaN gradient, while here the standard deviation's gradient is taken as
    0 (the gradient stays finite). The result is invariant to adding a
    constant to a row and (up to ``eps``) to scaling a row by a positive
    factor.

    Args:
        logits: ``... x C`` logits, ``C >= 2``.
        eps: Added to the standard deviation. Defaults to 1e-7 (released).

    Returns:
        The standardised logits, same shape.

    Raises:
        ValueError: If a row has fewer than 2 entries (no sample standard
            deviation exists).
    """
    width = logits.shape[-1]
    if width < 2:
        raise ValueError(
            'logit standardisation needs at least 2 classes per row (the '
            f'sample std divides by C - 1), got shape {tuple(logits.shape)}; '
            'set logit_standardization=False for this head.')
    centered = logits - logits.mean(dim=-1, keepdim=True)
    var = centered.pow(2).sum(dim=-1, keepdim=True) / (width - 1)
    # sqrt with gradient 0 at a constant row, where torch.std's is NaN
    tiny = torch.finfo(var.dtype).tiny
    std = torch.where(var > 0, var.clamp_min(tiny).sqrt(),
                      torch.zeros_like(var))
    return centered / (eps + std)


def safe_normalize(x: Tensor, dim: int = -1, eps: float = 1e-12) -> Tensor:
    """Scale vectors along ``dim`` to unit length; zero vectors stay zero.

    Unlike ``F.normalize``, vectors of norm ``<= eps`` get zero gradient
    instead of a gradient of order ``1 / eps``: the direction of a vanishing
    difference (e.g. two identical samples) is undefined, so it must not
    drive training.
    """
    norm = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x * ((norm > eps) / norm.clamp_min(eps))
