"""CTKD: curriculum temperature for knowledge distillation.

Li et al., AAAI 2023; public code github.com/zhengli97/CTKD, whose CIFAR-100
settings are the defaults here.
"""
from typing import Dict, Optional

from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import check_pair, standardize_logits, tempered_kl


def ctkd_loss(preds_S: Tensor, preds_T: Tensor,
              temperature: Tensor) -> Tensor:
    """KD with a per-sample, differentiable temperature.

    ``L = 1/B sum_i T_i^2 * KL(softmax(z^T_i / T_i) || softmax(z^S_i /
    T_i))``. Gradient flows to the student and to ``temperature`` (CTKD's
    temperature module reverses it); the teacher side gets none.

    Args:
        preds_S: Student logits, ``B x C``.
        preds_T: Teacher logits, ``B x C``.
        temperature: ``B`` temperatures (or one, broadcast).

    Returns:
        Scalar loss.
    """
    check_pair(preds_S, preds_T)
    return tempered_kl(preds_S, preds_T.detach(),
                       temperature.reshape(-1, 1)).mean()


@MODELS.register_module()
class CTKDLoss(nn.Module):
    """KD whose temperature is learnt adversarially, see :func:`ctkd_loss`.

    The temperature module (:class:`GlobalTemperature` or
    :class:`InstanceTemperature`) is a submodule, so the distiller's
    optimizer trains it with the student, its parameters are in the
    checkpoint and DDP averages their gradients. Its gradient is reversed
    with strength ``lambda``, which ``CTKDCurriculumHook`` sets before every
    iteration from the runner's epoch (the paper's cosine curriculum).

    Example config (CTKD's CIFAR-100 script: CE 0.1, KD 0.9)::

        loss_ctkd=dict(type='CTKDLoss', loss_weight=0.9,
                       temperature_module=dict(type='GlobalTemperature'),
                       inputs=dict(preds_S='student.logits',
                                   preds_T='teacher.logits'))
        custom_hooks = [dict(type='CTKDCurriculumHook', epochs=10)]

    Args:
        temperature_module: Config of the temperature module (required).
        loss_weight: Factor applied to the loss. Defaults to 0.9 (CTKD's
            ``-a 0.9``).
        logit_standardization: Z-score the logits of the KL term (LSKD,
            Sun et al., CVPR 2024; :func:`standardize_logits`, the released
            ``normalize``). The temperature module still reads the raw
            logits, as in LSKD's CTKD code
            (github.com/sunshangquan/logit-standardization-KD,
            CTKD/helper/loops.py lines 133-141: ``temp = mlp_net(logit_t,
            logit_s, cos_value)``, then ``criterion_div(logit_s, logit_t,
            temp)``, whose ``DistillKL_logit_stand`` in
            CTKD/distiller_zoo/KD.py computes ``KLDivLoss(reduction=
            'batchmean')(F.log_softmax(normalize(y_s)/T, dim=1),
            F.softmax(normalize(y_t)/T, dim=1)) * T * T``). Defaults to
            False.
    """

    def __init__(self,
                 temperature_module: Optional[dict] = None,
                 loss_weight: float = 0.9,
                 logit_standardization: bool = False) -> None:
        super().__init__()
        if temperature_module is None:
            raise ValueError(
                'CTKDLoss needs its learnable temperature: add '
                "temperature_module=dict(type='GlobalTemperature') (or "
                "dict(type='InstanceTemperature', num_classes=...)).")
        self.temperature = MODELS.build(temperature_module)
        self.loss_weight = loss_weight
        self.logit_standardization = logit_standardization
        # set by CTKDCurriculumHook before every training iteration
        self.grl_lambda: Optional[float] = None

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Dict[str, Tensor]:
        if self.grl_lambda is None:
            raise ValueError(
                'CTKDLoss has no curriculum strength: add '
                "dict(type='CTKDCurriculumHook', epochs=10) to "
                'custom_hooks; it sets the gradient-reversal lambda from '
                'the epoch before every iteration.')
        temperature = self.temperature(preds_S, preds_T, self.grl_lambda)
        if self.logit_standardization:
            preds_S = standardize_logits(preds_S)
            preds_T = standardize_logits(preds_T)
        return dict(
            loss_ctkd=self.loss_weight * ctkd_loss(preds_S, preds_T,
                                                   temperature),
            ctkd_temperature=temperature.mean().detach())
