"""MobileNet-V1 (Howard et al., 2017) for ImageNet.

The student of the ImageNet ResNet50 -> "MobileNet" pair of the KD
literature (mdistiller's ``MobileNetV1``); mmpretrain has no MobileNet-V1.
"""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import nn

from vrm_mm.registry import MODELS

from .init_cfgs import CONV_KAIMING_BN_ONE_INIT
from .tap_points import PREACT, StageTaps


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int,
                  stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                  padding=kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def _depthwise_separable(in_channels: int, out_channels: int,
                         stride: int) -> nn.Sequential:
    """3x3 depthwise conv-BN-ReLU, then 1x1 pointwise conv-BN-ReLU."""
    return nn.Sequential(
        _conv_bn_relu(in_channels, in_channels, 3, stride,
                      groups=in_channels),
        _conv_bn_relu(in_channels, out_channels, 1, 1),
    )


@MODELS.register_module()
class MobileNetV1(StageTaps, BaseBackbone):
    """MobileNet-V1: a stride-2 3x3 stem and 13 depthwise-separable blocks.

    Widths 32 (stem), then 64, 128, 128, 256, 256, 512 (x6), 1024, 1024,
    times ``widen_factor``; stride 2 in the stem and in blocks 2, 4, 6 and
    12 (1-based), so a 224 px image ends as a 7 x 7 x 1024 map. With
    ``GlobalAveragePooling`` and a 1000-way ``LinearClsHead`` the 1.0-width
    network has 4,231,976 parameters, as published. Config::

        backbone=dict(type='MobileNetV1'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=1024)

    Stage taps (:mod:`.tap_points`): ``preact_feats.<i>`` is output ``i``
    before its last ReLU, as the released ReviewKD MobileNet's features
    (dvlab-research/ReviewKD, ImageNet/models/mobilenet.py lines 66-85:
    ``self.model[3][:-1](...)``, ``preReLU=True``).

    Args:
        widen_factor (float): Width multiplier. Defaults to 1.0.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Outputs to return: 0 is the stem,
            1-13 the blocks. Defaults to (13, ).
        init_cfg (dict | list, optional): Initialisation. Defaults to
            Kaiming fan-out convs and unit BatchNorm.
    """

    # (output channels, stride) of the depthwise-separable blocks
    arch_settings = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1),
                     (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
                     (512, 1), (1024, 2), (1024, 1))

    extra_taps = (PREACT, )

    def __init__(self,
                 widen_factor: float = 1.0,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (13, ),
                 init_cfg: Optional[Union[dict, list]] = (
                     CONV_KAIMING_BN_ONE_INIT)) -> None:
        super().__init__(init_cfg)
        num_layers = len(self.arch_settings) + 1
        for index in out_indices:
            if not 0 <= index < num_layers:
                raise ValueError(f'out_indices must be in [0, {num_layers}),'
                                 f' got {tuple(out_indices)}.')
        self.out_indices = tuple(out_indices)
        channels = int(32 * widen_factor)
        layers = [_conv_bn_relu(in_channels, channels, 3, 2)]
        for width, stride in self.arch_settings:
            out_channels = int(width * widen_factor)
            layers.append(_depthwise_separable(channels, out_channels, stride))
            channels = out_channels
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = []
        for i, layer in enumerate(self.layers):
            if self._wants(PREACT, i):
                if i:  # a block: depthwise part, then pointwise conv + BN
                    x, layer = layer[0](x), layer[1]
                x = layer[:-1](x)
                self._tap(PREACT, i, x)
                x = F.relu(x)  # out of place: keep the tap intact
            else:
                x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
