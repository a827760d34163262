"""Similarity-preserving knowledge distillation (Tung & Mori, ICCV 2019)."""
import torch
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import (
    at_least_float32,
    check_batch_size,
    check_pair,
    safe_normalize,
)


def _similarity(feats: Tensor) -> Tensor:
    """Row-normalised Gram matrix ``B x B`` of the flattened samples."""
    flat = feats.reshape(feats.shape[0], -1)
    return safe_normalize(flat @ flat.t(), dim=1)


def sp_loss(feats_S: Tensor, feats_T: Tensor) -> Tensor:
    """SP: match the batch's pairwise similarity matrices.

    Per network, ``Q`` is the features reshaped to ``B x (everything
    else)`` (e.g. ``B x CHW`` for a feature map), ``G = Q Q^T`` and
    ``G~`` is ``G`` with every row scaled to unit L2 norm (a zero row, from
    an all-zero sample, stays zero). Then, as in the paper::

        L = ||G~_S - G~_T||_F^2 / B^2

    Only ``B x B`` matrices are compared, so the two networks may differ in
    channels and spatial size. The loss is invariant to scaling either
    network's features and to any orthogonal transform of the flattened
    features; the teacher side gets no gradient.

    This is the released code (HobbitLong/RepDistiller,
    distiller_zoo/SP.py, ``Similarity.similarity_loss``; mdistiller's SP.py
    is the same; ``F.normalize`` differs from the zero-row handling here
    only for rows of norm <= 1e-12)::

        f_s = f_s.view(bsz, -1)
        G_s = torch.mm(f_s, torch.t(f_s))
        G_s = torch.nn.functional.normalize(G_s)
        G_diff = G_t - G_s
        loss = (G_diff * G_diff).view(-1, 1).sum(0) / (bsz * bsz)

    Args:
        feats_S: Student features, ``B x ...`` (a feature map
            ``B x C x H x W`` in the paper).
        feats_T: Teacher features, ``B x ...``.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the batch sizes differ or the batch has fewer than
            2 samples (one sample's similarity is always 1).
    """
    check_pair(feats_S.reshape(feats_S.shape[0], -1),
               feats_T.reshape(feats_T.shape[0], -1), kind='features',
               same_width=False)
    batch_size = feats_S.shape[0]
    check_batch_size(batch_size, 2, 'the SP loss')
    # Keep the Gram matrices in float32 (or float64) under AMP.
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        sim_S = _similarity(at_least_float32(feats_S))
        with torch.no_grad():
            sim_T = _similarity(at_least_float32(feats_T))
    return (sim_S - sim_T).pow(2).sum() / batch_size**2


@MODELS.register_module()
class SPLoss(nn.Module):
    """Similarity-preserving loss, see :func:`sp_loss`.

    Example config (RepDistiller's CIFAR-100 setting: CE 1.0, SP 3000 on
    the last stage's feature map)::

        loss_sp=dict(type='SPLoss', loss_weight=3000.0,
                     inputs=dict(feats_S='student.feats',
                                 feats_T='teacher.feats'))

    Args:
        loss_weight: Factor applied to the loss. Defaults to 3000.0
            (RepDistiller's scripts/run_cifar_distill.sh, ``-b 3000``: the
            setting behind CRD's Tables 1-2).
    """

    def __init__(self, loss_weight: float = 3000.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Return the weighted SP loss (at least float32)."""
        return self.loss_weight * sp_loss(feats_S, feats_T)
