"""ReviewKD's review fusion: attention-based fusion (ABF) of student stages.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from vrm_mm.registry import MODELS

# ReviewKD's mid width: min(512, the deepest input's channels) (the
# released code, CIFAR-100/model/reviewkd.py, and mdistiller's ReviewKD)
MAX_MID_CHANNELS = 512


class ABF(nn.Module):
    """One level of the review: reduce, fuse with the deeper level, expand.

    ``x`` goes through a 1x1 conv + BN to ``mid_channels``; with ``fuse``,
    the deeper level's residual (nearest-upsampled to ``x``'s size) is
    mixed in by two per-pixel weights, a 1x1 conv of both followed by a
    sigmoid: ``x * a_0 + residual * a_1``. The result (the residual for the
    next, shallower level) is resized to ``out_size`` if given and mapped
    by a 3x3 conv + BN to ``out_channels``. The released ``ABF.forward``
    (dvlab-research/ReviewKD, CIFAR-100/model/reviewkd.py; mdistiller's
    distillers/ReviewKD.py is the same)::

        x = self.conv1(x)
        if self.att_conv is not None:
            y = F.interpolate(y, (shape,shape), mode="nearest")
            z = torch.cat([x, y], dim=1)
            z = self.att_conv(z)
            x = (x * z[:,0].view(n,1,h,w) + y * z[:,1].view(n,1,h,w))
        if x.shape[-1] != out_shape:
            x = F.interpolate(x, (out_shape, out_shape), mode="nearest")
        y = self.conv2(x)
        return y, x

    (``shape``, the student's size at this level, is ``x``'s size here.)
    """

    def __init__(self, in_channels: int, mid_channels: int,
                 out_channels: int, fuse: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.BatchNorm2d(mid_channels))
        self.expand = nn.Sequential(
            nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.attention = nn.Sequential(
            nn.Conv2d(2 * mid_channels, 2, 1), nn.Sigmoid()) if fuse else None
        # the released code's initialisation of both convolutions
        nn.init.kaiming_uniform_(self.reduce[0].weight, a=1)
        nn.init.kaiming_uniform_(self.expand[0].weight, a=1)

    def forward(self, x: Tensor, residual: Optional[Tensor],
                out_size: Optional[Tuple[int, int]]) -> Tuple[Tensor, Tensor]:
        """Return ``(output, residual for the next level)``."""
        x = self.reduce(x)
        if self.attention is not None:
            residual = F.interpolate(residual, size=x.shape[-2:],
                                     mode='nearest')
            weights = self.attention(torch.cat([x, residual], dim=1))
            x = x * weights[:, :1] + residual * weights[:, 1:]
        if out_size is not None and tuple(x.shape[-2:]) != out_size:
            x = F.interpolate(x, size=out_size, mode='nearest')
        return self.expand(x), x


@MODELS.register_module()
class ABFConnector(BaseModule):
    """ReviewKD's review of the student's stages, deepest first.

    Takes the student's features shallow to deep (stage outputs, then the
    pooled ``B x C`` feature, read as a ``1 x 1`` map) and returns as many
    fused maps, shallow to deep, each with the channels and size of the
    teacher's feature at that level. Level ``i`` is an :class:`ABF` fed
    with student level ``i`` and the residual of level ``i + 1`` (the
    deepest level has none), so every output reviews all deeper stages.
    Trained, checkpointed and DDP-wrapped with the student. Example config
    (ResNet32x4 -> ShuffleNetV2: the student's levels are 16, 8, 4 and 1
    pixels wide, the teacher's 32, 16, 8 and 1)::

        connectors=dict(abf=dict(
            type='ABFConnector', in_channels=[116, 232, 464, 1024],
            out_channels=[64, 128, 256, 256], out_shapes=[32, 16, 8, 1],
            input=['student.feats.0', 'student.feats.1', 'student.feats.2',
                   'student.pre_logits']))

    Args:
        in_channels: The student's channels per level, shallow to deep.
        out_channels: The teacher's channels per level.
        mid_channels: Width of the fused features. Defaults to None:
            ``min(512, in_channels[-1])``, the released code's rule.
        out_shapes: The teacher's spatial size per level (an int for a
            square map, or ``(H, W)``), where it differs from the
            student's. Defaults to None (the student's sizes).
        init_cfg: mmengine initialisation config. Defaults to None (the
            released code's Kaiming-uniform convolutions).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 mid_channels: Optional[int] = None,
                 out_shapes: Optional[Sequence] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        levels = len(in_channels)
        if levels == 0 or len(out_channels) != levels or (
                out_shapes is not None and len(out_shapes) != levels):
            raise ValueError(
                'ABFConnector needs one in_channels, out_channels (and '
                'out_shapes, if given) entry per level, got '
                f'in_channels={list(in_channels)}, '
                f'out_channels={list(out_channels)}, out_shapes='
                f'{None if out_shapes is None else list(out_shapes)}.')
        if mid_channels is None:
            mid_channels = min(MAX_MID_CHANNELS, in_channels[-1])
        self.in_channels = [int(c) for c in in_channels]
        self.out_sizes = [None] * levels if out_shapes is None else [
            None if size is None else _pair(size) for size in out_shapes
        ]
        self.abfs = nn.ModuleList(
            ABF(c_in, mid_channels, c_out, fuse=i < levels - 1)
            for i, (c_in, c_out) in enumerate(zip(in_channels, out_channels)))

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Fuse ``feats`` (shallow to deep) into the teacher's shapes."""
        feats = self._check(feats)
        outputs: List[Tensor] = [None] * len(feats)
        residual = None
        for i in reversed(range(len(feats))):
            outputs[i], residual = self.abfs[i](feats[i], residual,
                                                self.out_sizes[i])
        return outputs

    def _check(self, feats: Sequence[Tensor]) -> List[Tensor]:
        if isinstance(feats, Tensor) or len(feats) != len(self.abfs):
            got = ('one tensor' if isinstance(feats, Tensor) else
                   f'{len(feats)} inputs')
            raise ValueError(
                f'ABFConnector has {len(self.abfs)} levels (in_channels '
                f'{self.in_channels}) but got {got}; give `input` a list of '
                f'{len(self.abfs)} names, shallow to deep, e.g. '
                "['student.feats.0', ..., 'student.pre_logits'].")
        maps = [feat[:, :, None, None] if feat.dim() == 2 else feat
                for feat in feats]
        channels = [feat.shape[1] if feat.dim() == 4 else None
                    for feat in maps]
        if channels != self.in_channels:
            raise ValueError(
                f'ABFConnector expects in_channels {self.in_channels} '
                f'(B x C x H x W maps or B x C pooled features), got inputs '
                f'of shapes {[tuple(feat.shape) for feat in feats]}; set '
                'in_channels to the channels of the listed inputs.')
        return maps


def _pair(size) -> Tuple[int, int]:
    return (int(size), int(size)) if isinstance(size, int) else tuple(
        int(s) for s in size)
