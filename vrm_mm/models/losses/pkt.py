"""Probabilistic knowledge transfer (Passalis & Tefas, ECCV 2018)."""
import torch
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32, check_batch_size, check_pair


def _conditional_probabilities(feats: Tensor, eps: float) -> Tensor:
    """``P[i, j]``: the cosine kernel of row ``i`` to ``j``, rows sum to 1."""
    # x / (||x|| + eps), as the released code (a zero row stays zero)
    unit = feats / (torch.linalg.vector_norm(feats, dim=1, keepdim=True) + eps)
    kernel = (unit @ unit.t() + 1) / 2
    return kernel / kernel.sum(dim=1, keepdim=True)


def pkt_loss(feats_S: Tensor, feats_T: Tensor, eps: float = 1e-7) -> Tensor:
    """PKT: match the conditional probabilities of the cosine kernel.

    Per network, the rows ``x_i`` of the features are scaled to unit L2
    norm, as ``x_i / (||x_i|| + eps)`` (a zero row stays zero),
    ``K = (X X^T + 1) / 2`` (cosines mapped
    to ``[0, 1]``) and ``P = K / K.sum(1, keepdim=True)``, so that row ``i``
    is the distribution ``p(j | i)``. Then::

        L = mean_{i, j} P_T[i, j] * log((P_T[i, j] + eps) / (P_S[i, j] + eps))

    the mean over all ``B x B`` entries (each row's KL divergence, divided
    by ``B``). ``P`` is invariant to scaling any sample's features by a
    positive factor and to orthogonal transforms, so the widths may differ;
    the teacher side gets no gradient.

    This is the released code (HobbitLong/RepDistiller,
    distiller_zoo/PKT.py, ``PKT.cosine_similarity_loss``, from the authors'
    passalis/probabilistic_kt; mdistiller's PKT.py is the same)::

        output_net = output_net / (output_net_norm + eps)
        model_similarity = torch.mm(output_net, output_net.transpose(0, 1))
        model_similarity = (model_similarity + 1.0) / 2.0
        model_similarity = model_similarity / torch.sum(
            model_similarity, dim=1, keepdim=True)
        loss = torch.mean(target_similarity * torch.log(
            (target_similarity + eps) / (model_similarity + eps)))

    with the same for the teacher (``target_net``) and ``eps = 1e-7``.

    Args:
        feats_S: Student features, ``B x D_S`` (pooled features in the
            paper).
        feats_T: Teacher features, ``B x D_T``.
        eps: Added to the norms and inside the logarithm.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If either input is not 2-D, the batch sizes differ, or
            the batch has fewer than 2 samples (one sample's ``p`` is 1).
    """
    check_pair(feats_S, feats_T, kind='features', same_width=False)
    check_batch_size(feats_S.shape[0], 2, 'the PKT loss')
    # Keep the kernel in float32 (or float64) under AMP.
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        prob_S = _conditional_probabilities(at_least_float32(feats_S), eps)
        with torch.no_grad():
            prob_T = _conditional_probabilities(at_least_float32(feats_T),
                                                eps)
    return (prob_T * torch.log((prob_T + eps) / (prob_S + eps))).mean()


@MODELS.register_module()
class PKTLoss(nn.Module):
    """Probabilistic knowledge transfer loss, see :func:`pkt_loss`.

    Example config (RepDistiller's CIFAR-100 setting: CE 1.0, PKT 30000 on
    the pooled features)::

        loss_pkt=dict(type='PKTLoss', loss_weight=30000.0,
                      inputs=dict(feats_S='student.pre_logits',
                                  feats_T='teacher.pre_logits'))

    Args:
        eps: Guard inside the logarithm. Defaults to 1e-7 (the authors'
            code, as in RepDistiller).
        loss_weight: Factor applied to the loss. Defaults to 30000.0
            (RepDistiller's scripts/run_cifar_distill.sh, ``-b 30000``: the
            setting behind CRD's Tables 1-2).
    """

    def __init__(self,
                 eps: float = 1e-7,
                 loss_weight: float = 30000.0) -> None:
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Return the weighted PKT loss (at least float32)."""
        return self.loss_weight * pkt_loss(feats_S, feats_T, self.eps)
