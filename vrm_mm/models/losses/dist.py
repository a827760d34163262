"""DIST: distillation from a stronger teacher (Huang et al., NeurIPS 2022)."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32, check_pair


def pearson_correlation(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation between matching rows of ``a`` and ``b``.

    ``r = <a', b'> / (||a'|| * ||b'|| + eps)`` with the centred rows
    ``a' = a - mean(a)``, ``b' = b - mean(b)``: ``eps`` is added to the
    product of the norms, as in the released code
    (github.com/hunto/image_classification_sota, the code of
    github.com/hunto/DIST_KD, lib/models/losses/dist_kd.py lines 4-10)::

        def cosine_similarity(a, b, eps=1e-8):
            return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)

        def pearson_correlation(a, b, eps=1e-8):
            return cosine_similarity(a - a.mean(1).unsqueeze(1),
                                     b - b.mean(1).unsqueeze(1), eps)

    A constant row of ``a`` gives ``r = 0``; as in the released code its
    gradient there is ``b' / eps`` (torch takes the norm's gradient at 0 as
    0), and 0 when ``b`` is constant too.

    Args:
        a: ``N x M`` tensor.
        b: ``N x M`` tensor.
        eps: Added to the product of the norms. Defaults to 1e-8
            (released).

    Returns:
        ``N`` correlations.
    """
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    norms = (torch.linalg.vector_norm(a, dim=1) *
             torch.linalg.vector_norm(b, dim=1))
    return (a * b).sum(dim=1) / (norms + eps)


def dist_loss(preds_S: Tensor,
              preds_T: Tensor,
              beta: float = 1.0,
              gamma: float = 1.0,
              tau: float = 4.0) -> Tensor:
    """DIST loss: match Pearson correlations instead of exact probabilities.

    With ``p = softmax(z / tau)`` (``B x C``) for student and teacher:

    * inter-class relation = ``1 - mean_i pearson(p^S[i, :], p^T[i, :])``
      (each sample's ranking of the classes);
    * intra-class relation = ``1 - mean_c pearson(p^S[:, c], p^T[:, c])``
      (each class's ranking of the samples in the batch);
    * ``L = tau^2 * (beta * inter + gamma * intra)``.

    As released (github.com/hunto/image_classification_sota,
    lib/models/losses/dist_kd.py lines 13-34)::

        y_s = (z_s / self.tau).softmax(dim=1)
        y_t = (z_t / self.tau).softmax(dim=1)
        inter_loss = self.tau**2 * inter_class_relation(y_s, y_t)
        intra_loss = self.tau**2 * intra_class_relation(y_s, y_t)
        kd_loss = self.beta * inter_loss + self.gamma * intra_loss

    with ``inter_class_relation = 1 - pearson_correlation(y_s, y_t).mean()``
    and the intra-class relation the same on the transposed matrices.

    The intra-class term needs a batch of at least 2 samples; with one
    sample every column is constant and the term is a constant 1 with no
    gradient. The teacher side gets no gradient.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C``.
        beta: Weight of the inter-class relation.
        gamma: Weight of the intra-class relation.
        tau: Softmax temperature.

    Returns:
        Scalar loss.
    """
    check_pair(preds_S, preds_T)
    p_S = F.softmax(preds_S / tau, dim=1)
    p_T = F.softmax(preds_T.detach() / tau, dim=1)
    inter = 1 - pearson_correlation(p_S, p_T).mean()
    intra = 1 - pearson_correlation(p_S.t(), p_T.t()).mean()
    return tau**2 * (beta * inter + gamma * intra)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST loss on logits, see :func:`dist_loss`.

    The released CIFAR-100 recipe (github.com/hunto/image_classification_sota,
    configs/strategies/distill/dist_cifar.yaml: ``kd: dist_t4``,
    ``kd_loss_weight: 2.``, ``ori_loss_weight: 1.``; lib/models/losses/
    kd_loss.py lines 69-71: ``dist_t<tau>`` builds ``DIST(beta=1, gamma=1,
    tau=tau)``) is ``beta=gamma=1``, ``tau=4``, ``loss_weight=2``, i.e. the
    paper's ``beta=gamma=2`` at weight 1. ImageNet
    (configs/strategies/distill/resnet_dist.yaml: ``kd: 'dist'``, weight 2;
    kd_loss.py lines 67-68) uses ``tau=1``, again ``beta=gamma=1`` at
    weight 2.

    Example config (released CIFAR-100 setting)::

        loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, tau=4.0,
                       loss_weight=2.0,
                       inputs=dict(preds_S='student.logits',
                                   preds_T='teacher.logits'))

    Args:
        beta: Weight of the inter-class relation. Defaults to 1.0.
        gamma: Weight of the intra-class relation. Defaults to 1.0.
        tau: Softmax temperature. Defaults to 4.0.
        loss_weight: Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 tau: float = 4.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.beta = beta
        self.gamma = gamma
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Return the weighted DIST loss, computed in (at least) float32."""
        loss = dist_loss(at_least_float32(preds_S), at_least_float32(preds_T),
                         self.beta, self.gamma, self.tau)
        return self.loss_weight * loss
