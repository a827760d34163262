"""FitNets' hint loss (Romero et al., ICLR 2015)."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32


def _check_hint(feats_S: Tensor, feats_T: Tensor) -> None:
    shape_S, shape_T = tuple(feats_S.shape), tuple(feats_T.shape)
    if shape_S == shape_T:
        return
    fix = ('map the student stage to the teacher\'s with a connector and '
           'pass feats_S=\'connectors.<name>\'')
    if len(shape_S) == 4 and len(shape_T) == 4:
        fix = (f'add (or fix) the hint regressor, e.g. connectors=dict(hint='
               f'dict(type=\'ConvBNReLUConnector\', in_channels={shape_S[1]},'
               f' out_channels={shape_T[1]}, in_size={shape_S[2]}, '
               f'out_size={shape_T[2]}, input=\'student.feats.<i>\')), and '
               'pass feats_S=\'connectors.hint\'')
    raise ValueError(
        f'FitNet compares the regressed student hint with the teacher '
        f'feature element by element, got shapes {shape_S} and {shape_T}; '
        f'{fix} (configs/_base_/distillers/fitnet.py).')


def fitnet_loss(feats_S: Tensor, feats_T: Tensor) -> Tensor:
    """FitNet: regress the teacher's hint layer from the student's.

    With ``r(F_S)`` the student's guided-layer output mapped by the
    regressor (a connector, computed before this function) and ``F_T`` the
    teacher's hint-layer output, both ``B x C x H x W``::

        L = mean((r(F_S) - F_T)^2)

    the mean over all ``B * C * H * W`` elements, as RepDistiller's and
    mdistiller's ``nn.MSELoss()`` (the paper writes half the summed squared
    error, which only rescales the weight). The teacher side gets no
    gradient. The released code (HobbitLong/RepDistiller,
    distiller_zoo/FitNet.py, ``HintLoss``; mdistiller's FitNet.py is the
    same, ``F.mse_loss(f_s, feature_teacher[...])``)::

        self.crit = nn.MSELoss()
        loss = self.crit(f_s, f_t)

    with ``f_s`` the output of the regressor ``ConvReg`` (models/util.py:
    conv, BN, ReLU; here a ``ConvBNReLUConnector``).

    Args:
        feats_S: The regressed student hint, any shape.
        feats_T: The teacher's hint, the same shape.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the shapes differ (the connector is missing or maps
            to the wrong channels or size).
    """
    _check_hint(feats_S, feats_T)
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        return F.mse_loss(at_least_float32(feats_S),
                          at_least_float32(feats_T).detach())


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """FitNet's hint loss, see :func:`fitnet_loss`.

    The regressor is a ``ConvBNReLUConnector`` trained with the student.
    The paper trains in two stages (the student's lower layers on the hint
    alone, then the whole student with KD); RepDistiller and mdistiller,
    behind the published CIFAR-100 numbers, train hint + CE jointly from the
    first iteration, and so does this loss.
    Example config (RepDistiller's CIFAR-100 setting for ResNet32x4 ->
    ShuffleNetV1: CE 1.0, FitNet 100, the students' and teachers' second
    stage of three, mdistiller's ``HINT_LAYER = 2``)::

        connectors=dict(hint=dict(
            type='ConvBNReLUConnector', in_channels=480, out_channels=128,
            in_size=8, out_size=16, input='student.feats.1')),
        distill_losses=dict(loss_fitnet=dict(
            type='FitNetLoss', loss_weight=100.0,
            inputs=dict(feats_S='connectors.hint',
                        feats_T='teacher.feats.1')))

    Args:
        loss_weight: Factor applied to the loss. Defaults to 100.0
            (RepDistiller's scripts/run_cifar_distill.sh ``-b 100`` and
            mdistiller's ``CFG.FITNET.LOSS.FEAT_WEIGHT``).
    """

    def __init__(self, loss_weight: float = 100.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Return the weighted hint loss (at least float32)."""
        return self.loss_weight * fitnet_loss(feats_S, feats_T)
