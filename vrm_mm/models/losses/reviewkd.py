"""ReviewKD's hierarchical context loss (Chen et al., CVPR 2021)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32

# pooled sizes of the hierarchical context loss, coarser ones weighted by
# half the previous (the released code, CIFAR-100/model/reviewkd.py `hcl`)
POOL_SIZES = (4, 2, 1)


def _as_map(feat: Tensor) -> Tensor:
    """``B x C`` pooled features as ``B x C x 1 x 1`` maps."""
    return feat[:, :, None, None] if feat.dim() == 2 else feat


def _check_levels(feats_S: Sequence[Tensor],
                  feats_T: Sequence[Tensor]) -> None:
    shapes_S = [tuple(feat.shape) for feat in feats_S]
    shapes_T = [tuple(feat.shape) for feat in feats_T]
    if len(shapes_S) != len(shapes_T) or not shapes_S:
        raise ValueError(
            f'ReviewKD compares the same number of levels, got '
            f'{len(shapes_S)} student and {len(shapes_T)} teacher ones '
            f'(student {shapes_S}, teacher {shapes_T}); list the teacher '
            'stages in feats_T and give the ABFConnector as many '
            'in_channels / out_channels (configs/_base_/distillers/'
            'reviewkd.py).')
    for level, (shape_S, shape_T) in enumerate(zip(shapes_S, shapes_T)):
        if len(shape_S) != 4 or shape_S != shape_T:
            raise ValueError(
                f'ReviewKD level {level}: the fused student feature has '
                f'shape {shape_S} and the teacher feature {shape_T}; they '
                'must be equal B x C x H x W maps: set the ABFConnector\'s '
                f'out_channels[{level}] to the teacher\'s channels and '
                f'out_shapes[{level}] to its spatial size.')


def hcl_loss(feats_S: Sequence[Tensor],
             feats_T: Sequence[Tensor],
             pool_sizes: Sequence[int] = POOL_SIZES) -> Tensor:
    """ReviewKD's hierarchical context loss (HCL), summed over levels.

    For each level with student map ``F_S`` and teacher map ``F_T``
    (``B x C x H x W``; ``B x C`` pooled features count as ``1 x 1``
    maps), with ``P_k`` adaptive average pooling to ``k x k`` and
    ``k_1 > k_2 > ...`` the ``pool_sizes`` smaller than ``min(H, W)``::

        L_level = (MSE(F_S, F_T) + sum_j 2^-j MSE(P_kj(F_S), P_kj(F_T)))
                  / (1 + sum_j 2^-j)

        L = sum_levels L_level

    ``MSE`` is the mean over all elements. With the default sizes (4, 2, 1)
    an 8 x 8 level weighs its full, 4 x 4, 2 x 2 and 1 x 1 terms 1, 1/2,
    1/4, 1/8 (over 15/8), a 4 x 4 level its full, 2 x 2 and 1 x 1 terms 1,
    1/2, 1/4, and a 1 x 1 level is the plain MSE, as in the released code
    (dvlab-research/ReviewKD, CIFAR-100/model/reviewkd.py, ``hcl``;
    mdistiller's distillers/ReviewKD.py ``hcl_loss`` is the same)::

        loss = F.mse_loss(fs, ft, reduction='mean')
        cnt = 1.0
        tot = 1.0
        for l in [4,2,1]:
            if l >=h:
                continue
            tmpfs = F.adaptive_avg_pool2d(fs, (l,l))
            tmpft = F.adaptive_avg_pool2d(ft, (l,l))
            cnt /= 2.0
            loss += F.mse_loss(tmpfs, tmpft, reduction='mean') * cnt
            tot += cnt
        loss = loss / tot
        loss_all = loss_all + loss

    The teacher side gets no gradient. The released code feeds it the
    teacher's pre-activation stage outputs and pooled feature
    (``teacher(images, is_feat=True, preact=True)``, ``t_features[1:]``,
    CIFAR-100/train.py lines 222-223): ``teacher.preact_feats.<i>`` and
    ``teacher.pre_logits``.

    Args:
        feats_S: The student's fused features, one per level (the
            ABFConnector's output).
        feats_T: The teacher's features, same levels and shapes.
        pool_sizes: The pooled sizes, largest first. Defaults to (4, 2, 1).

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the level counts or any level's shapes differ.
    """
    if isinstance(feats_S, Tensor) or isinstance(feats_T, Tensor):
        raise ValueError(
            'ReviewKD compares lists of features, one per level; pass lists '
            "of names, e.g. feats_T=['teacher.preact_feats.0', ..., "
            "'teacher.pre_logits'], and feats_S='connectors.abf'.")
    feats_S = [_as_map(feat) for feat in feats_S]
    feats_T = [_as_map(feat) for feat in feats_T]
    _check_levels(feats_S, feats_T)
    total = 0.0
    with torch.autocast(device_type=feats_S[0].device.type, enabled=False):
        for feat_S, feat_T in zip(feats_S, feats_T):
            feat_S = at_least_float32(feat_S)
            feat_T = at_least_float32(feat_T).detach()
            loss = F.mse_loss(feat_S, feat_T)
            weight, weights = 1.0, 1.0
            for size in pool_sizes:
                if size >= min(feat_S.shape[-2:]):
                    continue
                weight /= 2
                weights += weight
                loss = loss + weight * F.mse_loss(
                    F.adaptive_avg_pool2d(feat_S, size),
                    F.adaptive_avg_pool2d(feat_T, size))
            total = total + loss / weights
    return total


@MODELS.register_module()
class ReviewKDLoss(nn.Module):
    """ReviewKD's hierarchical context loss, see :func:`hcl_loss`.

    Reads the ABF fusion of the student's stages (an ``ABFConnector``) and
    the teacher's pre-activation stages plus its pooled feature, shallow to
    deep. Example config (ResNet32x4 -> ResNet8x4, weight 5 as the authors'
    CIFAR-100 script; the 20-epoch linear warm-up is a
    ``DistillLossWarmupHook``)::

        connectors=dict(abf=dict(
            type='ABFConnector', in_channels=[64, 128, 256, 256],
            out_channels=[64, 128, 256, 256],
            input=['student.feats.0', 'student.feats.1', 'student.feats.2',
                   'student.pre_logits'])),
        distill_losses=dict(loss_reviewkd=dict(
            type='ReviewKDLoss', loss_weight=5.0,
            inputs=dict(feats_S='connectors.abf',
                        feats_T=['teacher.preact_feats.0',
                                 'teacher.preact_feats.1',
                                 'teacher.preact_feats.2',
                                 'teacher.pre_logits'])))

    Args:
        loss_weight: Factor applied to the loss. Defaults to 1.0
            (mdistiller's ``CFG.REVIEWKD.REVIEWKD_WEIGHT``; the authors'
            CIFAR-100 scripts set 0.6 to 8 per pair).
        pool_sizes: The pooled sizes of the context terms. Defaults to
            (4, 2, 1) (the released code).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 pool_sizes: Sequence[int] = POOL_SIZES) -> None:
        super().__init__()
        if any(int(size) < 1 for size in pool_sizes):
            raise ValueError(f'pool_sizes must be positive, got '
                             f'{tuple(pool_sizes)}; ReviewKD uses (4, 2, 1).')
        self.loss_weight = loss_weight
        self.pool_sizes = tuple(int(size) for size in pool_sizes)

    def forward(self, feats_S: Sequence[Tensor],
                feats_T: Sequence[Tensor]) -> Tensor:
        """Return the weighted HCL (at least float32)."""
        return self.loss_weight * hcl_loss(feats_S, feats_T, self.pool_sizes)
