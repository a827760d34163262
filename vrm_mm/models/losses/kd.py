"""Vanilla knowledge distillation (Hinton et al., 2015), optionally with
logit standardisation (LSKD, Sun et al., CVPR 2024)."""
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32, check_pair, standardize_logits


def kd_loss(preds_S: Tensor,
            preds_T: Tensor,
            temperature: float = 4.0) -> Tensor:
    """Temperature-scaled KL divergence from the teacher to the student.

    ``L = T^2 * mean_i sum_c p^T_ic * (log p^T_ic - log p^S_ic)`` with
    ``p = softmax(z / T)``. The ``T^2`` factor keeps gradient magnitudes
    comparable across temperatures. The teacher side gets no gradient.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C``.
        temperature: Softmax temperature ``T``.

    Returns:
        Scalar loss.
    """
    check_pair(preds_S, preds_T)
    log_p_S = F.log_softmax(preds_S / temperature, dim=1)
    log_p_T = F.log_softmax(preds_T.detach() / temperature, dim=1)
    kl = F.kl_div(log_p_S, log_p_T, reduction='batchmean', log_target=True)
    return temperature**2 * kl


@MODELS.register_module()
class KDLoss(nn.Module):
    """Knowledge distillation loss on logits.

    With ``logit_standardization=True`` both logit rows are z-scored
    (:func:`standardize_logits`, the released ``normalize``: sample std,
    ``eps`` added to it) before the temperature, as in LSKD ("Logit
    Standardization in Knowledge Distillation", Sun et al., CVPR 2024): the
    student then matches the teacher's logit *relations* rather than their
    range, and the loss is invariant to shifting or scaling a row. Released
    (github.com/sunshangquan/logit-standardization-KD,
    mdistiller/distillers/KD.py lines 12-19, ``kd_loss``)::

        logits_student = normalize(logits_student_in) if logit_stand else ...
        logits_teacher = normalize(logits_teacher_in) if logit_stand else ...
        log_pred_student = F.log_softmax(logits_student / temperature, dim=1)
        pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
        loss_kd = F.kl_div(log_pred_student, pred_teacher,
                           reduction="none").sum(1).mean()
        loss_kd *= temperature**2

    LSKD's paper pairs it with a lower temperature (its base temperature is
    2).

    Example config (mdistiller's CIFAR weights: CE 0.1, KD 0.9)::

        loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9,
                     inputs=dict(preds_S='student.logits',
                                 preds_T='teacher.logits'))

    Args:
        temperature: Softmax temperature. Defaults to 4.0.
        loss_weight: Factor applied to the loss. Defaults to 1.0.
        logit_standardization: Z-score logits first (LSKD).
            Defaults to False.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 logit_standardization: bool = False) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.logit_standardization = logit_standardization

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Return the weighted KD loss, computed in (at least) float32."""
        preds_S, preds_T = at_least_float32(preds_S), at_least_float32(preds_T)
        if self.logit_standardization:
            preds_S = standardize_logits(preds_S)
            preds_T = standardize_logits(preds_T)
        return self.loss_weight * kd_loss(preds_S, preds_T, self.temperature)
