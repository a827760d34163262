"""Cosine distance between student and teacher logits: an example of a
distillation loss registered from outside vrm_mm."""
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.models.losses import check_pair
from vrm_mm.registry import MODELS


def cosine_logit_loss(preds_S: Tensor, preds_T: Tensor) -> Tensor:
    """Mean cosine distance between each student and teacher logit row.

    ``L = mean_i (1 - <z^S_i, z^T_i> / (||z^S_i|| * ||z^T_i||))``: 0 when
    every student row points the way of the teacher's, whatever their
    lengths; at most 2. The teacher side gets no gradient.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C``.

    Returns:
        Scalar loss.
    """
    check_pair(preds_S, preds_T)
    return (1 - F.cosine_similarity(preds_S, preds_T.detach(), dim=1)).mean()


@MODELS.register_module()
class CosineLogitLoss(nn.Module):
    """Cosine distance between student and teacher logits.

    Example config (``inputs`` maps each ``forward`` argument to a named
    output of the distiller)::

        custom_imports = dict(imports=['example_plugin'],
                              allow_failed_imports=False)
        model = dict(distill_losses=dict(
            loss_cos=dict(type='CosineLogitLoss', loss_weight=1.0,
                          inputs=dict(preds_S='student.logits',
                                      preds_T='teacher.logits'))))

    Args:
        loss_weight: Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Return the weighted cosine distance."""
        return self.loss_weight * cosine_logit_loss(preds_S, preds_T)
