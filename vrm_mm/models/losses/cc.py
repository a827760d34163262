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
# the released formula (default) and the paper's kernel form
FORMS = ('released', 'rbf_taylor')


def _check_form(form: str) -> None:
    if form not in FORMS:
        raise ValueError(
            f"CC form must be one of {FORMS}, got {form!r}: 'released' is "
            "RepDistiller's distiller_zoo/CC.py (CRD's CIFAR-100 numbers), "
            "'rbf_taylor' the paper's Gaussian-RBF correlation matrices.")


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


def released_correlation_loss(emb_S: Tensor, emb_T: Tensor) -> Tensor:
    """RepDistiller's CC loss: products of neighbouring samples' gaps.

    With ``d_i = |f^S_i - f^T_i|`` (element-wise) for the samples in batch
    order::

        L = 1 / (B - 1) * sum_{i=1}^{B-1} sum_c d_{i,c} * d_{i+1,c}

    No kernel and no normalisation; it depends on the order of the batch.
    """
    gap = (emb_S - emb_T).abs()
    return (gap[:-1] * gap[1:]).sum(dim=1).mean()


def cc_loss(emb_S: Tensor,
            emb_T: Tensor,
            form: str = 'released',
            gamma: float = 0.4,
            order: int = 2) -> Tensor:
    """CC: correlation congruence of the batch's embeddings.

    The embeddings come from linear connectors, which give both networks
    one width. ``form`` picks the formula:

    * ``'released'`` (default): the code that produced the CIFAR-100 CC
      numbers of CRD's tables, github.com/HobbitLong/RepDistiller,
      distiller_zoo/CC.py lines 14-17 (the CC authors' code, restructured;
      see :func:`released_correlation_loss`)::

          delta = torch.abs(f_s - f_t)
          loss = torch.mean((delta[:-1] * delta[1:]).sum(1))

    * ``'rbf_taylor'`` (the paper's text): per network, the correlation
      ``C[i, j] = k(f_i, f_j)`` of the L2-normalised embeddings under a
      Gaussian RBF kernel, through its Taylor expansion of order ``P``
      (see :func:`rbf_correlation`), and
      ``L = ||C_S - C_T||_F^2 / B^2`` (torchdistill's ``CCKDLoss`` divides
      the unsquared norm by ``B^2``). Invariant to scaling any sample's
      embedding and to orthogonal transforms of both.

    Unlike the other relation losses, the gradient reaches both
    embeddings: the teacher's connector is trained by this loss, as in
    RepDistiller (train_student.py lines 211-218 put both ``LinearEmbed``
    modules in ``trainable_list``) and torchdistill (the teacher network
    stays frozen; an untrained teacher embedding would also be an unused
    parameter under DDP).

    Args:
        emb_S: Student embeddings, ``B x D``.
        emb_T: Teacher embeddings, ``B x D``.
        form: ``'released'`` or ``'rbf_taylor'``.
        gamma: The kernel's ``gamma`` (``'rbf_taylor'`` only).
        order: The expansion's order ``P`` (``'rbf_taylor'`` only).

    Returns:
        Scalar loss.

    Raises:
        ValueError: If ``form`` is unknown, either input is not 2-D, the
            batch sizes or widths differ (the message shows the connectors
            that fit), or the batch has fewer than 2 samples.
    """
    _check_form(form)
    check_pair(emb_S, emb_T, kind='embeddings', same_width=False)
    _check_widths(emb_S, emb_T)
    check_batch_size(emb_S.shape[0], 2, 'the CC loss')
    with torch.autocast(device_type=emb_S.device.type, enabled=False):
        emb_S, emb_T = at_least_float32(emb_S), at_least_float32(emb_T)
        if form == 'released':
            return released_correlation_loss(emb_S, emb_T)
        corr_S = rbf_correlation(emb_S, gamma, order)
        corr_T = rbf_correlation(emb_T, gamma, order)
    return (corr_S - corr_T).pow(2).sum() / emb_S.shape[0]**2


@MODELS.register_module()
class CCLoss(nn.Module):
    """Correlation congruence loss, see :func:`cc_loss`.

    Example config (RepDistiller's CIFAR-100 run: 128-d ``LinearEmbed`` of
    both networks' pooled features, train_student.py lines 211-218 with
    ``--feat_dim 128``; weight ``-b 0.02``, ``-a 0``, CE ``-r 1``,
    scripts/run_cifar_distill.sh line 13; the widths are the pair's
    ``pre_logits`` widths, here ResNet32x4 -> ResNet8x4)::

        connectors=dict(
            embed_S=dict(type='LinearConnector', in_channels=256,
                         out_channels=128, input='student.pre_logits'),
            embed_T=dict(type='LinearConnector', in_channels=256,
                         out_channels=128, input='teacher.pre_logits')),
        distill_losses=dict(
            loss_cc=dict(type='CCLoss', form='released', loss_weight=0.02,
                         inputs=dict(emb_S='connectors.embed_S',
                                     emb_T='connectors.embed_T')))

    The paper's kernel form: ``form='rbf_taylor', gamma=0.4, order=2``
    (torchdistill's CCKD config; no published CIFAR weight exists for it).

    Args:
        form: ``'released'`` (RepDistiller's kernel-free form) or
            ``'rbf_taylor'`` (the paper's Gaussian RBF). Defaults to
            ``'released'``.
        gamma: The RBF kernel's ``gamma`` (``'rbf_taylor'`` only).
            Defaults to 0.4 (torchdistill's CCKD config,
            ``kernel_params.gamma``).
        order: Order ``P`` of the Taylor expansion (``'rbf_taylor'`` only).
            Defaults to 2 (torchdistill's CCKD config, ``max_p``).
        loss_weight: Factor applied to the loss. Defaults to 1.0 (the
            configs set RepDistiller's 0.02).
    """

    def __init__(self,
                 form: str = 'released',
                 gamma: float = 0.4,
                 order: int = 2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        _check_form(form)
        if order < 0 or gamma <= 0:
            raise ValueError(
                f'CCLoss needs gamma > 0 and order >= 0, got gamma={gamma}, '
                f'order={order}; torchdistill uses gamma=0.4, order=2.')
        self.form = form
        self.gamma = gamma
        self.order = order
        self.loss_weight = loss_weight

    def forward(self, emb_S: Tensor, emb_T: Tensor) -> Tensor:
        """Return the weighted CC loss (at least float32)."""
        return self.loss_weight * cc_loss(emb_S, emb_T, self.form,
                                          self.gamma, self.order)
