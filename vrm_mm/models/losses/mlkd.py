"""MLKD: multi-level logit distillation (Jin et al., CVPR 2023).

Public code: github.com/Jin-Ying/Multi-Level-Logit-Distillation
(``mdistiller/distillers/KD_ours.py``), whose settings are the defaults here.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import (
    check_batch_size,
    check_pair,
    standardize_logits,
    tempered_kl,
)

# the released code: the base temperature 4 plus 2, 3, 5, 6 (CIFAR-100)
DEFAULT_TEMPERATURES = (2.0, 3.0, 4.0, 5.0, 6.0)
# the released code: np.percentile(teacher confidence, 50) on the weak view
DEFAULT_MASK_PERCENTILE = 50.0


def _low_confidence_mask(scores: Tensor, percentile: float) -> Tensor:
    """``scores <= percentile(scores)`` (linear interpolation, as numpy)."""
    threshold = torch.quantile(scores, percentile / 100)
    return (scores <= threshold).to(scores.dtype)


def _gram_rows(p_s: Tensor, p_t: Tensor) -> Tensor:
    """Per row ``i``: ``sum_j ((P_T P_T^T - P_S P_S^T)_ij)^2``."""
    return (p_t @ p_t.T - p_s @ p_s.T).pow(2).sum(1)


def _check_views(*views: Tensor) -> None:
    for view in views[1:]:
        check_pair(view, views[0])
    check_batch_size(views[0].shape[0], 2, "MLKD's batch-level alignment")


def mlkd_loss(s_weak: Tensor,
              s_strong: Tensor,
              t_weak: Tensor,
              t_strong: Tensor,
              *,
              temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
              mask_percentile: float = DEFAULT_MASK_PERCENTILE,
              strong_relations: bool = False,
              logit_standardization: bool = False) -> Dict[str, Tensor]:
    """Multi-level alignment of augmented predictions over two views.

    Prediction augmentation: for every temperature ``t`` in ``temperatures``
    ``P(t) = softmax(Z / t)`` (B x C) for the student (S) and the teacher
    (T, no gradient) on the weak view ``w`` (the real one) and the strong
    view ``s`` (the virtual one, RandAugment).

    Confidence masks from the teacher's weak-view ``Q = softmax(Z^T_w)``:
    sample ``i`` is kept (``m_i = 1``) when its confidence ``max_c Q_ic``
    is at most the ``mask_percentile``-th percentile over the batch; class
    ``c`` (``n_c = 1``) when its batch confidence ``sum_i Q_ic`` is at most
    that percentile over the classes (the released code keeps these,
    ``confidence.le(threshold)``).

    * instance: ``L_ins = sum_t t^2 [ 1/B sum_i m_i KL(P^T_w,i || P^S_w,i)
      + 1/B sum_i KL(P^T_s,i || P^S_s,i) ]``;
    * batch: ``G = P P^T`` (B x B), ``L_batch = sum_t 1/B sum_i m_i
      sum_j (G^T_ij - G^S_ij)^2`` on the weak view;
    * class: ``M = P^T P`` (C x C), ``L_class = sum_t 1/C sum_c n_c
      sum_c' (M^T_cc' - M^S_cc')^2`` on the weak view.

    ``strong_relations`` adds the unmasked batch and class terms of the
    strong view (the released code computes them but leaves them out of
    its loss). ``logit_standardization`` z-scores the logits of the
    instance term (LSKD, Sun et al., CVPR 2024, as its MLKD code does).
    The masks multiply each sample's (class's) term; the released code
    multiplies batch means by the mask, which only scales them by the kept
    share (about 1/2).

    Args:
        s_weak, s_strong: Student logits of the weak and strong view, B x C.
        t_weak, t_strong: Teacher logits of the same views.
        temperatures: The prediction-augmentation temperatures.
        mask_percentile: Percentile (0-100) of the confidence masks; 100
            keeps every sample and class.
        strong_relations: Also align batch and class relations on the
            strong view.
        logit_standardization: Z-score the instance term's logits.

    Returns:
        dict: ``loss_mlkd_instance``, ``loss_mlkd_batch``,
        ``loss_mlkd_class`` and the statistic ``mlkd_kept`` (share of
        samples the mask keeps).
    """
    _check_views(s_weak, s_strong, t_weak, t_strong)
    if not 0 <= mask_percentile <= 100:
        raise ValueError(
            f'mask_percentile must be in [0, 100], got {mask_percentile}.')
    t_weak, t_strong = t_weak.detach(), t_strong.detach()
    confidence = F.softmax(t_weak, dim=1)
    keep = _low_confidence_mask(confidence.max(dim=1).values,
                                mask_percentile)
    keep_class = _low_confidence_mask(confidence.sum(dim=0), mask_percentile)
    z_s_w, z_s_s, z_t_w, z_t_s = s_weak, s_strong, t_weak, t_strong
    if logit_standardization:
        z_s_w, z_s_s, z_t_w, z_t_s = map(standardize_logits,
                                         (s_weak, s_strong, t_weak, t_strong))
    batch, classes = s_weak.shape
    instance = relation_b = relation_c = s_weak.new_zeros(())
    for temp in temperatures:
        instance = instance + (
            (keep * tempered_kl(z_s_w, z_t_w, temp)).mean() +
            tempered_kl(z_s_s, z_t_s, temp).mean())
        views = [(s_weak, t_weak, keep, keep_class)]
        if strong_relations:
            views.append((s_strong, t_strong, None, None))
        for s, t, rows, cols in views:
            p_s, p_t = F.softmax(s / temp, dim=1), F.softmax(t / temp, dim=1)
            per_sample = _gram_rows(p_s, p_t)
            per_class = _gram_rows(p_s.T, p_t.T)
            if rows is not None:
                per_sample, per_class = per_sample * rows, per_class * cols
            relation_b = relation_b + per_sample.sum() / batch
            relation_c = relation_c + per_class.sum() / classes
    return dict(loss_mlkd_instance=instance,
                loss_mlkd_batch=relation_b,
                loss_mlkd_class=relation_c,
                mlkd_kept=keep.mean().detach())


@MODELS.register_module()
class MLKDLoss(nn.Module):
    """Multi-level logit distillation, see :func:`mlkd_loss`.

    Needs a two-view batch (``configs/_base_/datasets/*_vrm.py``: the real
    view is MLKD's weak view, the RandAugment virtual view its strong one),
    so it sees the same images and teacher as VRM. Example config (the
    released code's CIFAR-100 setting: CE 0.1 on each view, 0.9 on every
    distillation term)::

        loss_mlkd=dict(type='MLKDLoss', temperatures=(2, 3, 4, 5, 6),
                       loss_weight=0.9, virtual_ce_weight=0.1,
                       inputs=dict(s_weak='student.logits',
                                   s_strong='student.logits_virtual',
                                   t_weak='teacher.logits',
                                   t_strong='teacher.logits_virtual',
                                   gt_label='gt_label'))

    with ``student_loss_weight=0.1`` in the distiller. LSKD's variant sets
    ``logit_standardization=True`` and ``loss_weight=9.0``.

    Args:
        temperatures, mask_percentile, strong_relations,
            logit_standardization: See :func:`mlkd_loss`.
        virtual_ce_weight: Weight of the student's cross-entropy on the
            strong view (``loss_mlkd_virtual_ce``; not scaled by
            ``loss_weight``). Defaults to 0.1 (the released code).
        loss_weight: Multiplies the three alignment terms. Defaults to 0.9
            (the released code's CIFAR-100 KD weight).
    """

    def __init__(self,
                 temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
                 mask_percentile: float = DEFAULT_MASK_PERCENTILE,
                 strong_relations: bool = False,
                 logit_standardization: bool = False,
                 virtual_ce_weight: float = 0.1,
                 loss_weight: float = 0.9) -> None:
        super().__init__()
        if not temperatures or min(temperatures) <= 0:
            raise ValueError('MLKDLoss needs positive temperatures, got '
                             f'{temperatures}.')
        self.options = dict(temperatures=tuple(temperatures),
                            mask_percentile=mask_percentile,
                            strong_relations=strong_relations,
                            logit_standardization=logit_standardization)
        self.virtual_ce_weight = virtual_ce_weight
        self.loss_weight = loss_weight

    def forward(self,
                s_weak: Tensor,
                s_strong: Optional[Tensor],
                t_weak: Tensor,
                t_strong: Optional[Tensor],
                gt_label: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if s_strong is None or t_strong is None or s_strong is s_weak:
            raise ValueError(
                'MLKDLoss needs the logits of a second (strong) view, but '
                'the batch has only one view. Use a two-view dataset '
                'pipeline (a configs/_base_/datasets/*_vrm.py base) and '
                "take s_strong='student.logits_virtual', "
                "t_strong='teacher.logits_virtual'.")
        losses = mlkd_loss(s_weak, s_strong, t_weak, t_strong,
                           **self.options)
        # loss_weight is read at every call: warm-up hooks change it.
        for key in ('loss_mlkd_instance', 'loss_mlkd_batch',
                    'loss_mlkd_class'):
            losses[key] = self.loss_weight * losses[key]
        if self.virtual_ce_weight > 0:
            if gt_label is None:
                raise ValueError(
                    'virtual_ce_weight > 0 needs labels: add '
                    "gt_label='gt_label' to the inputs of MLKDLoss.")
            losses['loss_mlkd_virtual_ce'] = self.virtual_ce_weight * (
                F.cross_entropy(s_strong, gt_label))
        return losses
