"""Decoupled knowledge distillation (Zhao et al., CVPR 2022)."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32, check_pair, standardize_logits


def _check_labels(gt_label: Tensor, logits: Tensor) -> None:
    if gt_label.shape != logits.shape[:1] or gt_label.is_floating_point():
        raise ValueError(
            'DKD needs one integer class index per sample (a LongTensor of '
            f'shape ({logits.shape[0]},)), got {gt_label.dtype} of shape '
            f'{tuple(gt_label.shape)}; soft labels from Mixup/CutMix are not '
            'supported.')
    if logits.shape[1] < 2:
        raise ValueError(
            f'DKD needs at least 2 classes, got {logits.shape[1]}.')


def _split_log_probs(logits: Tensor, target: Tensor,
                     temperature: float) -> Tuple[Tensor, Tensor]:
    """Log-probabilities of (target, non-target) and among the non-targets.

    Works on the non-target logits themselves instead of masking the target
    with a large negative number, so ``log(1 - p_t)`` stays exact when
    ``p_t`` is close to 1.

    Returns:
        ``B x 2`` log of ``[p_t, 1 - p_t]`` and ``B x (C-1)`` log of the
        softmax over the non-target classes.
    """
    z = logits / temperature
    log_norm = z.logsumexp(dim=1)
    non_target = z[~target].view(z.shape[0], -1)
    log_non_target_norm = non_target.logsumexp(dim=1)
    log_binary = torch.stack(
        [z[target] - log_norm, log_non_target_norm - log_norm], dim=1)
    return log_binary, non_target - log_non_target_norm[:, None]


def dkd_loss(preds_S: Tensor,
             preds_T: Tensor,
             gt_label: Tensor,
             alpha: float = 1.0,
             beta: float = 8.0,
             temperature: float = 4.0) -> Tensor:
    """Decoupled KD: ``alpha * TCKD + beta * NCKD``.

    With ``p = softmax(z / T)`` and target class ``t``:

    * TCKD = ``T^2 * KL(b^T || b^S)`` over the binary distribution
      ``b = [p_t, 1 - p_t]`` (target vs. all non-targets);
    * NCKD = ``T^2 * KL(q^T || q^S)`` over ``q = softmax`` of the non-target
      logits (the classes other than ``t``, renormalised);

    both averaged over the batch. The paper shows classical KD per sample
    equals ``TCKD + (1 - p^T_t) * NCKD``; DKD removes the ``(1 - p^T_t)``
    coupling and weights the terms freely. The teacher side gets no
    gradient.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C``.
        gt_label: Class indices, ``B``.
        alpha: Weight of TCKD.
        beta: Weight of NCKD.
        temperature: Softmax temperature ``T``.

    Returns:
        Scalar loss.
    """
    check_pair(preds_S, preds_T)
    _check_labels(gt_label, preds_S)
    target = F.one_hot(gt_label.long(), preds_S.shape[1]).bool()
    binary_S, among_S = _split_log_probs(preds_S, target, temperature)
    binary_T, among_T = _split_log_probs(preds_T.detach(), target,
                                         temperature)
    tckd = F.kl_div(
        binary_S, binary_T, reduction='batchmean', log_target=True)
    nckd = F.kl_div(among_S, among_T, reduction='batchmean', log_target=True)
    return temperature**2 * (alpha * tckd + beta * nckd)


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled knowledge distillation loss, see :func:`dkd_loss`.

    The paper's warm-up (loss weight ramped linearly over the first 20
    epochs on CIFAR) is not part of this module: a distiller hook ramps
    ``loss_weight``. With ``logit_standardization=True`` both logit rows
    are z-scored first (LSKD, Sun et al., CVPR 2024, as :class:`KDLoss`,
    with :func:`standardize_logits`, the released ``normalize``); released
    (github.com/sunshangquan/logit-standardization-KD,
    mdistiller/distillers/DKD.py lines 12-39, ``dkd_loss``)::

        logits_student = normalize(logits_student_in) if logit_stand else ...
        logits_teacher = normalize(logits_teacher_in) if logit_stand else ...

    then mdistiller's DKD on the standardised logits. LSKD's DKD runs use
    temperature 2 and both weights times 9.

    Example config (paper's CIFAR-100 setting)::

        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,
                      loss_weight=1.0,
                      inputs=dict(preds_S='student.logits',
                                  preds_T='teacher.logits',
                                  gt_label='gt_label'))

    Args:
        alpha: Weight of the target-class term (TCKD). Defaults to 1.0.
        beta: Weight of the non-target-class term (NCKD). Defaults to 8.0.
        temperature: Softmax temperature. Defaults to 4.0.
        loss_weight: Factor applied to the loss. Defaults to 1.0.
        logit_standardization: Z-score logits first (LSKD).
            Defaults to False.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 logit_standardization: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.logit_standardization = logit_standardization

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                gt_label: Tensor) -> Tensor:
        """Return the weighted DKD loss, computed in (at least) float32."""
        preds_S, preds_T = at_least_float32(preds_S), at_least_float32(preds_T)
        if self.logit_standardization:
            preds_S = standardize_logits(preds_S)
            preds_T = standardize_logits(preds_T)
        loss = dkd_loss(preds_S, preds_T, gt_label, self.alpha, self.beta,
                        self.temperature)
        return self.loss_weight * loss
