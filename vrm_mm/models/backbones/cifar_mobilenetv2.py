"""The CIFAR MobileNetV2 (``mobile_half``) of the RepDistiller zoo."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import nn

from vrm_mm.registry import MODELS

from .init_cfgs import CONV_KAIMING_BN_ONE_INIT
from .tap_points import PREACT, StageTaps


def _conv_bn_relu(
    in_channels: int, out_channels: int, kernel_size: int, stride: int
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding=kernel_size // 2,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class CIFARInvertedResidual(BaseModule):
    """Inverted residual: 1x1 expand, 3x3 depthwise, 1x1 linear projection.

    Unlike torchvision's block, the expanding 1x1 conv is kept when the
    expand ratio is 1, as in the public network.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv, 1 or 2.
        expand_ratio (int): Hidden channels = ``in_channels * expand_ratio``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expand_ratio: int,
    ) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                hidden, hidden, 3, stride, padding=1, groups=hidden, bias=False
            ),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


@MODELS.register_module()
class CIFARMobileNetV2(StageTaps, BaseBackbone):
    """CIFAR MobileNetV2 (``mobile_half`` / ``MobileNetV2`` in the zoo).

    A stride-2 3x3 stem, seven stages of inverted residuals (expansion
    (1, t, t, t, t, t, t), widths (16, 24, 32, 64, 96, 160, 320) x
    ``widen_factor``, strides (1, 1, 2, 2, 1, 2, 1)), then a 1x1 conv to
    1280 channels. On 32x32 inputs the last map is 2x2 and the public
    average pool over it is global, i.e. the ``GlobalAveragePooling`` neck.
    Module names equal the public ones (``conv1.0``, ``blocks.0.0.conv.0``,
    ``conv2.0``).

    Stage taps (:mod:`.tap_points`): stages 0-6 end in a linear 1x1 conv +
    BN, so ``preact_feats.<i>`` is ``feats.<i>`` there (RepDistiller's
    MobileNetV2 ignores ``preact``, models/mobilenetv2.py lines 132-158);
    ``preact_feats.7`` is the last 1x1 conv's BN output before its ReLU.

    Config::

        backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5)

    Args:
        widen_factor (float): Width multiplier; the zoo's network uses 0.5.
            Defaults to 0.5.
        expand_ratio (int): Expansion t of stages 1-6. Defaults to 6.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Outputs to return: 0-6 are the stages,
            7 the final 1x1 conv. Defaults to (7, ).
        init_cfg (dict | list, optional): Initialisation; defaults to the
            public one (Kaiming fan-out convs, unit BN).
    """

    # (expand ratio or None for `expand_ratio`, channels, blocks, stride)
    arch_settings = (
        (1, 16, 1, 1),
        (None, 24, 2, 1),
        (None, 32, 3, 2),
        (None, 64, 4, 2),
        (None, 96, 3, 1),
        (None, 160, 3, 2),
        (None, 320, 1, 1),
    )

    extra_taps = (PREACT, )

    def __init__(
        self,
        widen_factor: float = 0.5,
        expand_ratio: int = 6,
        in_channels: int = 3,
        out_indices: Sequence[int] = (7,),
        init_cfg: Optional[Union[dict, list]] = CONV_KAIMING_BN_ONE_INIT,
    ) -> None:
        super().__init__(init_cfg)
        self.out_indices = tuple(out_indices)
        channels = int(32 * widen_factor)
        self.conv1 = _conv_bn_relu(in_channels, channels, 3, 2)
        self.blocks = nn.ModuleList()
        for ratio, width, num_blocks, stride in self.arch_settings:
            out_channels = int(width * widen_factor)
            layers = []
            for j in range(num_blocks):
                layers.append(
                    CIFARInvertedResidual(
                        channels,
                        out_channels,
                        stride if j == 0 else 1,
                        ratio or expand_ratio,
                    )
                )
                channels = out_channels
            self.blocks.append(nn.Sequential(*layers))
        last_channels = int(1280 * max(widen_factor, 1.0))
        self.conv2 = _conv_bn_relu(channels, last_channels, 1, 1)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.conv1(x)
        outs = []
        last = len(self.blocks)
        for i, stage in enumerate([*self.blocks, self.conv2]):
            if i == last and self._wants(PREACT, i):
                x = stage[:-1](x)  # conv + BN
                self._tap(PREACT, i, x)
                x = F.relu(x)  # out of place: keep the tap intact
            else:
                x = stage(x)
                self._tap(PREACT, i, x)  # linear: no activation to skip
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
