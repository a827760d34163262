"""Relational knowledge distillation (Park et al., CVPR 2019)."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import (
    at_least_float32,
    check_batch_size,
    check_pair,
    safe_normalize,
)

AVERAGES = ('all', 'defined')


def _check_average(average_over: str) -> None:
    if average_over not in AVERAGES:
        raise ValueError(
            f'RKD average_over must be one of {AVERAGES}, got '
            f"{average_over!r}: 'all' averages over all B^2 distances and "
            "B^3 angles as the released code does, 'defined' over the "
            'B(B-1) and B(B-1)^2 ones where they are defined.')


def _relations(feats: Tensor, distance: bool, angle: bool,
               eps: float) -> Dict[str, Tensor]:
    """Normalised pairwise distances ``B x B`` and angle cosines ``B^3``."""
    relations = {}
    if distance:
        # squared distances through the Gram matrix, clamped at eps before
        # the root, the diagonal set to 0 (mdistiller's _pdist)
        sq_norms = feats.pow(2).sum(dim=1)
        sq_dist = sq_norms[:, None] + sq_norms[None, :] - \
            2 * feats @ feats.t()
        eye = torch.eye(len(feats), dtype=torch.bool, device=feats.device)
        dist = torch.where(eye, torch.zeros_like(sq_dist),
                           sq_dist.clamp_min(eps).sqrt())
        # divided by the mean of the positive distances
        relations['distance'] = dist / (dist.sum() / (dist > 0).sum())
    if angle:
        diff = feats[None, :, :] - feats[:, None, :]  # [j, i] = e_i - e_j
        unit = safe_normalize(diff, dim=2)
        # [j, i, k] = cos of the angle at e_j between e_i and e_k.
        relations['angle'] = torch.bmm(unit, unit.transpose(1, 2))
    return relations


def rkd_loss(feats_S: Tensor,
             feats_T: Tensor,
             distance_weight: float = 25.0,
             angle_weight: float = 50.0,
             average_over: str = 'all',
             eps: float = 1e-12) -> Tensor:
    """RKD: match distances and angles within the batch.

    For a batch of embeddings ``e_1..e_B``:

    * distance-wise: ``psi_D(i, j) = ||e_i - e_j|| / mu``, ``mu`` the mean
      of the network's ``B(B-1)`` pairwise distances, ``psi_D(i, i) = 0``;
      ``L_D = mean huber(psi_D^S - psi_D^T)``;
    * angle-wise: ``psi_A(i, j, k) = <u_ji, u_jk>`` with the unit vectors
      ``u_ji = (e_i - e_j) / ||e_i - e_j||`` (0 for ``i == j``), the cosine
      of the angle at ``e_j``; ``L_A = mean huber(psi_A^S - psi_A^T)``;
    * ``L = distance_weight * L_D + angle_weight * L_A``.

    ``huber`` is smooth-L1 with delta 1. ``average_over`` picks the means:

    * ``'all'`` (default, released): over all ``B^2`` distances and ``B^3``
      angles, the undefined ones (``i == j``, or ``k == j``) counting as
      0 on both sides;
    * ``'defined'`` (the paper's sums over tuples of distinct samples, as a
      mean): over the ``B(B-1)`` distances with ``i != j`` and the
      ``B(B-1)^2`` angles with ``i != j`` and ``k != j``; larger by
      ``B/(B-1)`` resp. ``(B/(B-1))^2`` (at B=16: 6.7% and 14%; at B=64:
      1.6% and 3.2%).

    Released (github.com/megvii-research/mdistiller,
    mdistiller/distillers/RKD.py lines 8-50; github.com/HobbitLong/
    RepDistiller, distiller_zoo/RKD.py computes the same)::

        def _pdist(e, squared, eps):
            e_square = e.pow(2).sum(dim=1)
            prod = e @ e.t()
            res = (e_square.unsqueeze(1) + e_square.unsqueeze(0)
                   - 2 * prod).clamp(min=eps)
            if not squared:
                res = res.sqrt()
            res = res.clone()
            res[range(len(e)), range(len(e))] = 0
            return res

        d = _pdist(stu, squared, eps)
        mean_d = d[d > 0].mean()
        d = d / mean_d
        loss_d = F.smooth_l1_loss(d, t_d)
        sd = stu.unsqueeze(0) - stu.unsqueeze(1)
        norm_sd = F.normalize(sd, p=2, dim=2)
        s_angle = torch.bmm(norm_sd, norm_sd.transpose(1, 2)).view(-1)
        loss_a = F.smooth_l1_loss(s_angle, t_angle)
        loss = distance_weight * loss_d + angle_weight * loss_a

    (the teacher's relations under ``torch.no_grad()``, ``eps = 1e-12``,
    ``squared = False`` in every released config). As there, distances come
    from the Gram matrix and are clamped at ``sqrt(eps)``. One difference
    stays: a vanishing difference ``e_i - e_j`` (two identical samples) has
    a zero unit vector in both, but ``F.normalize`` gives it a gradient of
    order ``1 / 1e-12``; here it gets none (:func:`safe_normalize`).

    Both relations are invariant to translating or scaling the embeddings,
    so student and teacher widths may differ and no connector is needed.
    The teacher side gets no gradient.

    Memory: the pairwise differences take ``B^2 * D`` floats, the angles
    ``B^3`` (B=64, D=2048: ~35 MB; B=256, D=2048: ~0.6 GB per network,
    before autograd buffers). Terms with weight 0 are not computed.

    Args:
        feats_S: Student embeddings, ``B x D_S``.
        feats_T: Teacher embeddings, ``B x D_T``.
        distance_weight: Weight of ``L_D``.
        angle_weight: Weight of ``L_A``.
        average_over: ``'all'`` (released) or ``'defined'``, see above.
        eps: Clamp of the squared distances (released: 1e-12).

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the batch has fewer than 2 samples (distance) or 3
            samples (angle), or ``average_over`` is unknown.
    """
    _check_average(average_over)
    check_pair(feats_S, feats_T, kind='features', same_width=False)
    batch_size = feats_S.shape[0]
    distance, angle = distance_weight != 0, angle_weight != 0
    if distance:
        check_batch_size(batch_size, 2, 'the RKD distance loss')
    if angle:
        check_batch_size(batch_size, 3, 'the RKD angle loss')
    # Keep the cosines in float32 under AMP (autocast would run bmm in fp16).
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        rel_S = _relations(at_least_float32(feats_S), distance, angle, eps)
        with torch.no_grad():
            rel_T = _relations(at_least_float32(feats_T), distance, angle,
                               eps)
    loss = feats_S.new_zeros(
        (), dtype=torch.promote_types(feats_S.dtype, torch.float32))
    # Undefined relations (i == j, or k == j) are exactly 0 on both sides,
    # so they add nothing to the sums; only the counts differ.
    defined = average_over == 'defined'
    if distance:
        pairs = batch_size * (batch_size - 1) if defined else batch_size**2
        loss = loss + distance_weight * F.smooth_l1_loss(
            rel_S['distance'], rel_T['distance'], reduction='sum') / pairs
    if angle:
        triplets = batch_size * (batch_size - 1)**2 if defined else \
            batch_size**3
        loss = loss + angle_weight * F.smooth_l1_loss(
            rel_S['angle'], rel_T['angle'], reduction='sum') / triplets
    return loss


@MODELS.register_module()
class RKDLoss(nn.Module):
    """Relational knowledge distillation loss, see :func:`rkd_loss`.

    Works on pooled features (``B x D``, the heads' inputs: mdistiller's
    ``pooled_feat``, RepDistiller's ``feat[-1]``); student and teacher
    widths may differ.

    Example config (the released weights: mdistiller's
    mdistiller/engine/cfg.py ``CFG.RKD``, RepDistiller's ``-a 0 -b 1``)::

        loss_rkd=dict(type='RKDLoss', distance_weight=25.0,
                      angle_weight=50.0, average_over='all',
                      loss_weight=1.0,
                      inputs=dict(feats_S='student.pre_logits',
                                  feats_T='teacher.pre_logits'))

    Args:
        distance_weight: Weight of the distance-wise term. Defaults to 25.0.
        angle_weight: Weight of the angle-wise term. Defaults to 50.0.
        average_over: ``'all'`` (released: over all ``B^2`` / ``B^3``
            entries) or ``'defined'`` (over the ``B(B-1)`` / ``B(B-1)^2``
            defined ones). Defaults to ``'all'``.
        loss_weight: Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 distance_weight: float = 25.0,
                 angle_weight: float = 50.0,
                 average_over: str = 'all',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        _check_average(average_over)
        self.distance_weight = distance_weight
        self.angle_weight = angle_weight
        self.average_over = average_over
        self.loss_weight = loss_weight

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Return the weighted RKD loss, computed in (at least) float32."""
        loss = rkd_loss(feats_S, feats_T, self.distance_weight,
                        self.angle_weight, self.average_over)
        return self.loss_weight * loss
