"""MLKD: multi-level logit distillation (Jin et al., CVPR 2023).

Public code: github.com/Jin-Ying/Multi-Level-Logit-Distillation
(``mdistiller/distillers/KD_ours.py``), whose computation is the default
here; the paper's text, where it differs, is an option.
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

# KD_ours.py's temperatures in its order: cfg.KD.TEMPERATURE (4 on
# CIFAR-100, mdistiller/engine/cfg.py:61), then 3, 5, 2, 6 (lines 115-140).
DEFAULT_TEMPERATURES = (4.0, 3.0, 5.0, 2.0, 6.0)
# KD_ours.py:142-162: the "strong" instance term reads the strong view at
# the first three temperatures and the weak view at 2 and 6.
DEFAULT_STRONG_TERM_VIEWS = ('strong', 'strong', 'strong', 'weak', 'weak')
# KD_ours.py:101-111: np.percentile(teacher confidence, 50) on the weak view
DEFAULT_MASK_PERCENTILE = 50.0
MASKINGS = ('released', 'per_sample')
VIEWS = ('strong', 'weak')


def _low_confidence_mask(scores: Tensor, percentile: float) -> Tensor:
    """``scores <= percentile(scores)`` (linear interpolation, as numpy)."""
    threshold = torch.quantile(scores, percentile / 100)
    return (scores <= threshold).to(scores.dtype)


def _gram_rows(p_s: Tensor, p_t: Tensor) -> Tensor:
    """Per row ``i``: ``sum_j ((P_T P_T^T - P_S P_S^T)_ij)^2``."""
    return (p_t @ p_t.T - p_s @ p_s.T).pow(2).sum(1)


def _masked_mean(values: Tensor, mask: Tensor, masking: str) -> Tensor:
    """``mean(values) * mean(mask)`` ('released') or ``mean(values * mask)``
    ('per_sample')."""
    if masking == 'released':
        return values.mean() * mask.mean()
    return (values * mask).mean()


def _check_options(temperatures: Sequence[float],
                   strong_term_views: Sequence[str], masking: str,
                   mask_percentile: float) -> None:
    if masking not in MASKINGS:
        raise ValueError(f'masking must be one of {MASKINGS}, got '
                         f'{masking!r}.')
    if not 0 <= mask_percentile <= 100:
        raise ValueError(
            f'mask_percentile must be in [0, 100], got {mask_percentile}.')
    if len(strong_term_views) != len(temperatures) or any(
            view not in VIEWS for view in strong_term_views):
        raise ValueError(
            'strong_term_views needs one view per temperature, each one of '
            f'{VIEWS}: got {tuple(strong_term_views)} for temperatures '
            f'{tuple(temperatures)}.')


def mlkd_loss(s_weak: Tensor,
              s_strong: Tensor,
              t_weak: Tensor,
              t_strong: Tensor,
              *,
              temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
              strong_term_views: Sequence[str] = DEFAULT_STRONG_TERM_VIEWS,
              masking: str = 'released',
              mask_percentile: float = DEFAULT_MASK_PERCENTILE,
              strong_relations: bool = False,
              logit_standardization: bool = False) -> Dict[str, Tensor]:
    """Multi-level alignment of augmented predictions over two views.

    Prediction augmentation: for every temperature ``t`` in ``temperatures``
    ``P(t) = softmax(Z / t)`` (B x C) for the student (S) and the teacher
    (T, no gradient) on the weak view ``w`` (the real one) and the strong
    view ``s`` (the virtual one). ``KL_i(v, t) = t^2 KL(P^T_v,i(t) ||
    P^S_v,i(t))``.

    Confidence masks from the teacher's weak-view ``Q = softmax(Z^T_w)``:
    sample ``i`` is kept (``m_i = 1``) when its confidence ``max_c Q_ic``
    is at most the ``mask_percentile``-th percentile over the batch; class
    ``c`` (``n_c = 1``) when its batch confidence ``sum_i Q_ic`` is at most
    that percentile over the classes (``confidence.le(threshold)``).

    With ``masking='released'`` (the default) a mask scales a batch mean
    by the kept share ``mean(m)`` (``mean(n)``), so every sample and class
    still contributes:

    * instance: ``L_ins = sum_t [ mean(m) 1/B sum_i KL_i(w, t)
      + 1/B sum_i KL_i(v_t, t) ]``, ``v_t`` the ``strong_term_views``
      entry of ``t``;
    * batch: ``G = P P^T`` (B x B), ``L_batch = sum_t mean(m) 1/B
      sum_ij (G^T_ij - G^S_ij)^2`` on the weak view;
    * class: ``M = P^T P`` (C x C), ``L_class = sum_t mean(n) 1/C
      sum_cc' (M^T_cc' - M^S_cc')^2`` on the weak view.

    The released code (KD_ours.py:115-120, 164-169, 207-211), with the
    scalar batch mean of ``kd_loss`` / ``cc_loss`` / ``bc_loss`` times a
    B- (C-) long boolean mask::

        ((kd_loss(logits_student_weak, logits_teacher_weak, T) * mask).mean())
        ((cc_loss(logits_student_weak, logits_teacher_weak, T)
          * class_conf_mask).mean())
        ((bc_loss(logits_student_weak, logits_teacher_weak, T) * mask).mean())

    and its "strong" instance term (KD_ours.py:142-162) reads the strong
    view at ``cfg.KD.TEMPERATURE``, 3 and 5 but the weak view at 2 and 6,
    without mask: ``strong_term_views=('strong', 'strong', 'strong', 'weak',
    'weak')`` with ``temperatures=(4, 3, 5, 2, 6)``.

    ``masking='per_sample'`` is the paper's reading (Sec. 3.3: the
    confident samples and classes are left out): the mask multiplies each
    sample's (class's) own term, ``1/B sum_i m_i KL_i(w, t)``, ``1/B sum_i
    m_i sum_j (G^T_ij - G^S_ij)^2`` and ``1/C sum_c n_c sum_c' (M^T_cc' -
    M^S_cc')^2``; ``strong_term_views=('strong',) * 5`` is its strong-view
    term.

    ``strong_relations`` adds unmasked batch and class terms of the strong
    view (the released code computes such terms, KD_ours.py:186-248, but
    leaves them out of its loss). ``logit_standardization`` z-scores the
    logits of every instance term (LSKD, Sun et al., CVPR 2024, its
    ``mdistiller/distillers/MLKD.py:17-19``) with
    :func:`~vrm_mm.models.losses.utils.standardize_logits`.

    Args:
        s_weak, s_strong: Student logits of the weak and strong view, B x C.
        t_weak, t_strong: Teacher logits of the same views.
        temperatures: The prediction-augmentation temperatures.
        strong_term_views: For each temperature, the view (``'strong'`` or
            ``'weak'``) that the unmasked instance term reads.
        masking: ``'released'`` or ``'per_sample'``, see above.
        mask_percentile: Percentile (0-100) of the confidence masks; 100
            keeps every sample and class.
        strong_relations: Also align batch and class relations on the
            strong view.
        logit_standardization: Z-score the instance terms' logits.

    Returns:
        dict: ``loss_mlkd_instance``, ``loss_mlkd_batch``,
        ``loss_mlkd_class`` and the statistic ``mlkd_kept`` (share of
        samples the mask keeps).
    """
    _check_options(temperatures, strong_term_views, masking, mask_percentile)
    for view in (s_strong, t_weak, t_strong):
        check_pair(view, s_weak)
    check_batch_size(s_weak.shape[0], 2, "MLKD's batch-level alignment")
    t_weak, t_strong = t_weak.detach(), t_strong.detach()
    confidence = F.softmax(t_weak, dim=1)
    keep = _low_confidence_mask(confidence.max(dim=1).values,
                                mask_percentile)
    keep_class = _low_confidence_mask(confidence.sum(dim=0), mask_percentile)
    instance_inputs = dict(weak=(s_weak, t_weak), strong=(s_strong, t_strong))
    if logit_standardization:
        instance_inputs = {
            view: tuple(map(standardize_logits, pair))
            for view, pair in instance_inputs.items()
        }
    instance = relation_b = relation_c = s_weak.new_zeros(())
    for temp, view in zip(temperatures, strong_term_views):
        instance = instance + _masked_mean(
            tempered_kl(*instance_inputs['weak'], temp), keep, masking)
        instance = instance + tempered_kl(*instance_inputs[view], temp).mean()
        p_s, p_t = (F.softmax(z / temp, dim=1) for z in (s_weak, t_weak))
        relation_b = relation_b + _masked_mean(
            _gram_rows(p_s, p_t), keep, masking)
        relation_c = relation_c + _masked_mean(
            _gram_rows(p_s.T, p_t.T), keep_class, masking)
        if strong_relations:
            p_s, p_t = (F.softmax(z / temp, dim=1) for z in (s_strong,
                                                             t_strong))
            relation_b = relation_b + _gram_rows(p_s, p_t).mean()
            relation_c = relation_c + _gram_rows(p_s.T, p_t.T).mean()
    return dict(loss_mlkd_instance=instance,
                loss_mlkd_batch=relation_b,
                loss_mlkd_class=relation_c,
                mlkd_kept=keep.mean().detach())


@MODELS.register_module()
class MLKDLoss(nn.Module):
    """Multi-level logit distillation, see :func:`mlkd_loss`.

    Needs a two-view batch (``configs/_base_/datasets/*_vrm.py``: the real
    view is MLKD's weak view, the virtual view its strong one; the MLKD
    configs make that view the released ``MLKDStrongAugment``). Example
    config (the released code's CIFAR-100 setting: CE 0.1 on each view,
    0.9 on every distillation term)::

        loss_mlkd=dict(type='MLKDLoss', temperatures=(4, 3, 5, 2, 6),
                       strong_term_views=('strong', 'strong', 'strong',
                                          'weak', 'weak'),
                       masking='released', loss_weight=0.9,
                       virtual_ce_weight=0.1,
                       inputs=dict(s_weak='student.logits',
                                   s_strong='student.logits_virtual',
                                   t_weak='teacher.logits',
                                   t_strong='teacher.logits_virtual',
                                   gt_label='gt_label'))

    with ``student_loss_weight=0.1`` in the distiller. LSKD's variant sets
    ``temperatures=(2, 3, 5, 2, 6)``, ``logit_standardization=True`` and
    ``loss_weight=9.0``.

    Args:
        temperatures, strong_term_views, masking, mask_percentile,
            strong_relations, logit_standardization: See :func:`mlkd_loss`.
        virtual_ce_weight: Weight of the student's cross-entropy on the
            strong view (``loss_mlkd_virtual_ce``; not scaled by
            ``loss_weight``). Defaults to 0.1 (the released code).
        loss_weight: Multiplies the three alignment terms. Defaults to 0.9
            (the released code's CIFAR-100 KD weight).
    """

    def __init__(self,
                 temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
                 strong_term_views: Sequence[str] = DEFAULT_STRONG_TERM_VIEWS,
                 masking: str = 'released',
                 mask_percentile: float = DEFAULT_MASK_PERCENTILE,
                 strong_relations: bool = False,
                 logit_standardization: bool = False,
                 virtual_ce_weight: float = 0.1,
                 loss_weight: float = 0.9) -> None:
        super().__init__()
        if not temperatures or min(temperatures) <= 0:
            raise ValueError('MLKDLoss needs positive temperatures, got '
                             f'{temperatures}.')
        _check_options(temperatures, strong_term_views, masking,
                       mask_percentile)
        self.options = dict(temperatures=tuple(temperatures),
                            strong_term_views=tuple(strong_term_views),
                            masking=masking,
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
