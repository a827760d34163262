"""Correlation congruence knowledge distillation (Peng et al., ICCV 2019)."""
import math

import torch
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import (
    at_least_float32,
    check_batch_size,
    check_pair,
    safe_normalize,
)

# RepDistiller's and torchdistill's embedding width for CC
EMBED_WIDTH = 128


def _check_widths(emb_S: Tensor, emb_T: Tensor) -> None:
    if emb_S.shape[1] != emb_T.shape[1]:
        width_S, width_T = emb_S.shape[1], emb_T.shape[1]
        raise ValueError(
            f'CC compares embeddings of one width; got student '
            f'{tuple(emb_S.shape)} and teacher {tuple(emb_T.shape)}. Embed '
            'both with linear connectors and read those, e.g. '
            "connectors=dict(embed_S=dict(type='LinearConnector', "
            f'in_channels={width_S}, out_channels={EMBED_WIDTH}, '
            "input='student.pre_logits'), embed_T=dict("
            f"type='LinearConnector', in_channels={width_T}, "
            f"out_channels={EMBED_WIDTH}, input='teacher.pre_logits')) and "
            "inputs=dict(emb_S='connectors.embed_S', "
            "emb_T='connectors.embed_T') (configs/_base_/distillers/cc.py).")


def rbf_correlation(emb: Tensor, gamma: float, order: int) -> Tensor:
    """Gaussian-RBF correlation ``B x B`` through its Taylor expansion.

    With the rows ``f_i`` scaled to unit norm, ``||f_i - f_j||^2 =
    2 - 2 f_i.f_j``, so::

        exp(-gamma ||f_i - f_j||^2)
            = exp(-2 gamma) exp(2 gamma f_i.f_j)
            ~ sum_{p=0}^{order} exp(-2 gamma) (2 gamma)^p / p! (f_i.f_j)^p

    exact as ``order`` grows. A zero row has cosine 0 with every row.
    """
    unit = safe_normalize(emb, dim=1)
    cosine = unit @ unit.t()
    correlation = torch.zeros_like(cosine)
    for p in range(order + 1):
        correlation = correlation + (2 * gamma)**p / math.factorial(p) * \
            cosine.pow(p)
    return math.exp(-2 * gamma) * correlation


def cc_loss(emb_S: Tensor,
            emb_T: Tensor,
            gamma: float = 0.4,
            order: int = 2) -> Tensor:
    """CC: match the correlation matrices of the batch's embeddings.

    Per network, the correlation ``C[i, j] = k(f_i, f_j)`` of the
    L2-normalised embeddings under a Gaussian RBF kernel, through its
    Taylor expansion of order ``P`` (see :func:`rbf_correlation`). Then, as
    in the paper::

        L = ||C_S - C_T||_F^2 / B^2

    (torchdistill's ``CCKDLoss`` divides the unsquared norm by ``B^2``.)
    The embeddings come from linear connectors, which give both networks
    one width. Unlike the other relation losses, the gradient reaches both
    embeddings: the teacher's connector is trained by this loss, as in
    RepDistiller and torchdistill (the teacher network stays frozen; an
    untrained teacher embedding would also be an unused parameter under
    DDP). The loss is invariant to scaling any sample's embedding and to
    orthogonal transforms of both.

    Args:
        emb_S: Student embeddings, ``B x D``.
        emb_T: Teacher embeddings, ``B x D``.
        gamma: The kernel's ``gamma``.
        order: The expansion's order ``P``.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If either input is not 2-D, the batch sizes or widths
            differ (the message shows the connectors that fit), or the
            batch has fewer than 2 samples.
    """
    check_pair(emb_S, emb_T, kind='embeddings', same_width=False)
    _check_widths(emb_S, emb_T)
    check_batch_size(emb_S.shape[0], 2, 'the CC loss')
    with torch.autocast(device_type=emb_S.device.type, enabled=False):
        corr_S = rbf_correlation(at_least_float32(emb_S), gamma, order)
        corr_T = rbf_correlation(at_least_float32(emb_T), gamma, order)
    return (corr_S - corr_T).pow(2).sum() / emb_S.shape[0]**2


@MODELS.register_module()
class CCLoss(nn.Module):
    """Correlation congruence loss, see :func:`cc_loss`.

    Example config (128-d linear embeddings of both networks' pooled
    features, as RepDistiller and torchdistill; the widths are the pair's
    ``pre_logits`` widths, here ResNet32x4 -> ResNet8x4)::

        connectors=dict(
            embed_S=dict(type='LinearConnector', in_channels=256,
                         out_channels=128, input='student.pre_logits'),
            embed_T=dict(type='LinearConnector', in_channels=256,
                         out_channels=128, input='teacher.pre_logits')),
        distill_losses=dict(
            loss_cc=dict(type='CCLoss', gamma=0.4, order=2, loss_weight=1.0,
                         inputs=dict(emb_S='connectors.embed_S',
                                     emb_T='connectors.embed_T')))

    Args:
        gamma: The RBF kernel's ``gamma``. Defaults to 0.4 (torchdistill's
            CCKD config, ``kernel_params.gamma``).
        order: Order ``P`` of the Taylor expansion. Defaults to 2
            (torchdistill's CCKD config, ``max_p``).
        loss_weight: Factor applied to the loss. Defaults to 1.0: no
            published CIFAR weight exists for this kernel form (RepDistiller's
            ``-b 0.02`` weights a different, kernel-free CC loss).
    """

    def __init__(self,
                 gamma: float = 0.4,
                 order: int = 2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if order < 0 or gamma <= 0:
            raise ValueError(
                f'CCLoss needs gamma > 0 and order >= 0, got gamma={gamma}, '
                f'order={order}; torchdistill uses gamma=0.4, order=2.')
        self.gamma = gamma
        self.order = order
        self.loss_weight = loss_weight

    def forward(self, emb_S: Tensor, emb_T: Tensor) -> Tensor:
        """Return the weighted CC loss (at least float32)."""
        return self.loss_weight * cc_loss(emb_S, emb_T, self.gamma,
                                          self.order)
