"""The CIFAR Wide ResNets (WRN-d-k) of the RepDistiller / mdistiller zoo."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import nn

from vrm_mm.registry import MODELS

from .init_cfgs import CONV_KAIMING_BN_ONE_INIT
from .tap_points import PREACT, PRENORM, StageTaps, bn_without_update


class WideBasicBlock(BaseModule):
    """Pre-activation basic block: BN-ReLU-conv3x3, BN-ReLU-conv3x3.

    When the width or resolution changes, the shortcut is a 1x1 conv applied
    to the pre-activated input (as in the public network); otherwise it is
    the identity on the raw input.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int
    ) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False
        )
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False
        )
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        preact = self.relu(self.bn1(x))
        out = self.relu(self.bn2(self.conv1(preact)))
        out = self.conv2(out)
        identity = x if self.shortcut is None else self.shortcut(preact)
        return out + identity


@MODELS.register_module()
class CIFARWideResNet(StageTaps, BaseBackbone):
    """CIFAR Wide ResNet WRN-depth-widen (Zagoruyko & Komodakis, 2016).

    A 3x3 stem conv to 16 channels, three stages of ``(depth - 4) / 6``
    pre-activation blocks with 16k, 32k, 64k channels at strides 1, 2, 2,
    then BN + ReLU (``final_bn``). The public network's average pool and
    ``fc`` are the ``GlobalAveragePooling`` neck and a linear head here.
    Public checkpoints map with ``block{i}.layer.{j}`` -> ``layer{i}.{j}``,
    ``convShortcut`` -> ``shortcut`` and the top-level ``bn1`` ->
    ``final_bn`` (see ``vrm_mm.converters.repdistiller``).

    Stage taps (:mod:`.tap_points`): ``feats.<i>`` is stage ``i``'s output,
    the last one after ``final_bn`` + ReLU; ``prenorm_feats.<i>`` the
    residual stream before the BN that follows it (RepDistiller's
    ``is_feat=True`` features ``f1``-``f3``: equal to ``feats.<i>`` for
    stages 0-1, before ``final_bn`` + ReLU for stage 2);
    ``preact_feats.<i>`` that stream through the following BN, without the
    ReLU (RepDistiller's ``preact=True``: ``block2.layer[0].bn1(f1)``,
    ``block3.layer[0].bn1(f2)``, ``bn1(f3)``, models/wrn.py lines 118-121).

    Config::

        backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=2)

    Args:
        depth (int): Network depth, 6n+4 (16, 40, ...).
        widen_factor (int): Channel multiplier k. Defaults to 1.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages whose output is returned (0-2);
            stage 2 is returned after ``final_bn`` + ReLU. Defaults to (2, ).
        init_cfg (dict | list, optional): Initialisation; defaults to the
            public one (Kaiming fan-out convs, unit BN).
    """

    extra_taps = (PREACT, PRENORM)

    def __init__(
        self,
        depth: int,
        widen_factor: int = 1,
        in_channels: int = 3,
        out_indices: Sequence[int] = (2,),
        init_cfg: Optional[Union[dict, list]] = CONV_KAIMING_BN_ONE_INIT,
    ):
        super().__init__(init_cfg)
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(
                f'CIFARWideResNet depth must be 6n+4 with n >= 1 '
                f'(16, 22, 28, 40, ...), got {depth}.'
            )
        num_blocks = (depth - 4) // 6
        self.out_indices = tuple(out_indices)
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        channels = 16
        for i, stride in enumerate((1, 2, 2)):
            out_channels = 16 * widen_factor * 2**i
            blocks = [WideBasicBlock(channels, out_channels, stride)]
            blocks += [
                WideBasicBlock(out_channels, out_channels, 1)
                for _ in range(num_blocks - 1)
            ]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            channels = out_channels
        self.final_bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            self._tap(PRENORM, i, x)
            if i < 2 and self._wants(PREACT, i):
                # the next block's bn1, which also runs inside that block
                bn = getattr(self, f'layer{i + 2}')[0].bn1
                self._tap(PREACT, i, bn_without_update(bn, x))
            if i == 2:
                normed = self.final_bn(x)
                if self._wants(PREACT, i):
                    self._tap(PREACT, i, normed)
                    x = F.relu(normed)  # out of place: keep the tap intact
                else:
                    x = self.relu(normed)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
