"""DIST: distillation from a stronger teacher (Huang et al., NeurIPS 2022)."""
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import check_pair


def pearson_correlation(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation between matching rows of ``a`` and ``b``.

    ``r = <a - mean(a), b - mean(b)> / max(||a - mean(a)|| *
    ||b - mean(b)||, eps)``, so a constant row gives 0 rather than NaN (in
    value and gradient).

    Args:
        a: ``N x M`` tensor.
        b: ``N x M`` tensor.
        eps: Lower bound of the denominator.

    Returns:
        ``N`` correlations.
    """
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    # Clamp the product of squared norms before the root: the root's
    # gradient at 0 is infinite.
    denom = (a.pow(2).sum(1) * b.pow(2).sum(1)).clamp_min(eps**2).sqrt()
    return (a * b).sum(dim=1) / denom


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

    The paper uses ``tau=4`` on CIFAR-100 and ``tau=1`` on ImageNet, and
    ``beta=gamma=2`` on CIFAR-100 (``beta=gamma=1`` on ImageNet, this
    module's default).

    Example config (paper's CIFAR-100 setting)::

        loss_dist=dict(type='DISTLoss', beta=2.0, gamma=2.0, tau=4.0,
                       loss_weight=1.0,
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
        """Return the weighted DIST loss, computed in float32."""
        loss = dist_loss(preds_S.float(), preds_T.float(), self.beta,
                         self.gamma, self.tau)
        return self.loss_weight * loss
