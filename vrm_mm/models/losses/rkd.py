"""Relational knowledge distillation (Park et al., CVPR 2019)."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import check_batch_size, check_pair, safe_normalize


def _relations(feats: Tensor, distance: bool, angle: bool,
               eps: float) -> Dict[str, Tensor]:
    """Normalised pairwise distances ``B x B`` and angle cosines ``B^3``."""
    diff = feats[None, :, :] - feats[:, None, :]  # [j, i] = e_i - e_j
    relations = {}
    if distance:
        dist = torch.linalg.vector_norm(diff, dim=2)
        mean_dist = dist.sum() / (dist > 0).sum().clamp_min(1)
        relations['distance'] = dist / mean_dist.clamp_min(eps)
    if angle:
        unit = safe_normalize(diff, dim=2, eps=eps)
        # [j, i, k] = cos of the angle at e_j between e_i and e_k.
        relations['angle'] = torch.bmm(unit, unit.transpose(1, 2))
    return relations


def rkd_loss(feats_S: Tensor,
             feats_T: Tensor,
             distance_weight: float = 25.0,
             angle_weight: float = 50.0,
             eps: float = 1e-12) -> Tensor:
    """RKD: match distances and angles within the batch.

    For a batch of embeddings ``e_1..e_B``:

    * distance-wise: ``psi_D(i, j) = ||e_i - e_j|| / mu`` for ``i != j``,
      ``mu`` the mean non-zero pairwise distance of the same network;
      ``L_D = mean_{i != j} huber(psi_D^S - psi_D^T)``;
    * angle-wise: ``psi_A(i, j, k) = <u_ji, u_jk>`` with the unit vectors
      ``u_ji = (e_i - e_j) / ||e_i - e_j||``, the cosine of the angle at
      ``e_j``; ``L_A = mean huber(psi_A^S - psi_A^T)`` over the triplets
      with ``i != j`` and ``k != j`` (where the angle is defined);
    * ``L = distance_weight * L_D + angle_weight * L_A``.

    ``huber`` is smooth-L1 with delta 1, summed over relations before the
    mean. Public implementations average over all ``B^2`` / ``B^3`` entries
    (undefined ones as 0), i.e. smaller by ``(B-1)/B`` resp.
    ``((B-1)/B)^2``, about 3% at ``B = 64``. Both relations are invariant
    to translating or scaling the embeddings, so student and teacher widths
    may differ and no connector is needed. The teacher side gets no
    gradient.

    Memory: the pairwise differences take ``B^2 * D`` floats, the angles
    ``B^3`` (B=64, D=2048: ~35 MB; B=256, D=2048: ~0.6 GB per network,
    before autograd buffers). Terms with weight 0 are not computed.

    Args:
        feats_S: Student embeddings, ``B x D_S``.
        feats_T: Teacher embeddings, ``B x D_T``.
        distance_weight: Weight of ``L_D``.
        angle_weight: Weight of ``L_A``.
        eps: Guard for vanishing distances.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the batch has fewer than 2 samples (distance) or 3
            samples (angle).
    """
    check_pair(feats_S, feats_T, kind='features', same_width=False)
    batch_size = feats_S.shape[0]
    distance, angle = distance_weight != 0, angle_weight != 0
    if distance:
        check_batch_size(batch_size, 2, 'the RKD distance loss')
    if angle:
        check_batch_size(batch_size, 3, 'the RKD angle loss')
    # Keep the cosines in float32 under AMP (autocast would run bmm in fp16).
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        rel_S = _relations(feats_S.float(), distance, angle, eps)
        with torch.no_grad():
            rel_T = _relations(feats_T.float(), distance, angle, eps)
    loss = feats_S.new_zeros((), dtype=torch.float32)
    # Undefined relations (i == j, or k == j) are exactly 0 on both sides,
    # so they add nothing to the sums; only the counts exclude them.
    if distance:
        pairs = batch_size * (batch_size - 1)
        loss = loss + distance_weight * F.smooth_l1_loss(
            rel_S['distance'], rel_T['distance'], reduction='sum') / pairs
    if angle:
        triplets = batch_size * (batch_size - 1)**2
        loss = loss + angle_weight * F.smooth_l1_loss(
            rel_S['angle'], rel_T['angle'], reduction='sum') / triplets
    return loss


@MODELS.register_module()
class RKDLoss(nn.Module):
    """Relational knowledge distillation loss, see :func:`rkd_loss`.

    Works on pooled features (``B x D``); student and teacher widths may
    differ.

    Example config (paper's weights)::

        loss_rkd=dict(type='RKDLoss', distance_weight=25.0,
                      angle_weight=50.0, loss_weight=1.0,
                      inputs=dict(feats_S='student.pre_logits',
                                  feats_T='teacher.pre_logits'))

    Args:
        distance_weight: Weight of the distance-wise term. Defaults to 25.0.
        angle_weight: Weight of the angle-wise term. Defaults to 50.0.
        loss_weight: Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 distance_weight: float = 25.0,
                 angle_weight: float = 50.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.distance_weight = distance_weight
        self.angle_weight = angle_weight
        self.loss_weight = loss_weight

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Return the weighted RKD loss, computed in float32."""
        loss = rkd_loss(feats_S.float(), feats_T.float(),
                        self.distance_weight, self.angle_weight)
        return self.loss_weight * loss
