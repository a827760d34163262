"""The CIFAR ShuffleNetV2 (``ShuffleV2``) of the RepDistiller zoo."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import channel_shuffle
from torch import nn

from vrm_mm.registry import MODELS

from .tap_points import PREACT, StageTaps


def _conv(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 1,
    stride: int = 1,
    groups: int = 1,
) -> nn.Conv2d:
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=kernel_size // 2,
        groups=groups,
        bias=False,
    )


class CIFARShuffleV2DownUnit(BaseModule):
    """Stride-2 ShuffleNetV2 unit with two branches, then a channel shuffle.

    Left: depthwise 3x3 (s2) + BN, 1x1 + BN + ReLU. Right: 1x1 + BN + ReLU,
    depthwise 3x3 (s2) + BN, 1x1 + BN + ReLU. Each gives half the output.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        mid = out_channels // 2
        self.conv1 = _conv(in_channels, in_channels, 3, 2, in_channels)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = _conv(in_channels, mid)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = _conv(in_channels, mid)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = _conv(mid, mid, 3, 2, mid)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = _conv(mid, mid)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], dim=1), 2)


class CIFARShuffleV2Unit(BaseModule):
    """Stride-1 ShuffleNetV2 unit: split, transform one half, concat, shuffle.

    The second half goes through 1x1 + BN + ReLU, depthwise 3x3 + BN,
    1x1 + BN + ReLU; the first half passes unchanged.

    Args:
        channels (int): Input and output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.conv1 = _conv(half, half)
        self.bn1 = nn.BatchNorm2d(half)
        self.conv2 = _conv(half, half, 3, 1, half)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv3 = _conv(half, half)
        self.bn3 = nn.BatchNorm2d(half)

    def _halves(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        kept, x = x.chunk(2, dim=1)
        out = F.relu(self.bn1(self.conv1(x)))
        return kept, self.bn3(self.conv3(self.bn2(self.conv2(out))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _relu_concat_shuffle(*self._halves(x))

    def forward_with_preact(
        self, x: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The output and the pre-activation: the concatenation before the
        last ReLU and before the shuffle (RepDistiller's ``preact``,
        models/ShuffleNetv2.py lines 52-56)."""
        kept, out = self._halves(x)
        return (_relu_concat_shuffle(kept, out),
                torch.cat([kept, out], dim=1))


def _relu_concat_shuffle(kept: torch.Tensor,
                         out: torch.Tensor) -> torch.Tensor:
    return channel_shuffle(torch.cat([kept, F.relu(out)], dim=1), 2)


@MODELS.register_module()
class CIFARShuffleNetV2(StageTaps, BaseBackbone):
    """CIFAR ShuffleNetV2 1x (``ShuffleV2`` in the zoo).

    A 1x1 stem conv to 24 channels (no stride, no max-pool); three stages,
    each a stride-2 unit followed by (3, 7, 3) stride-1 units, with 116,
    232, 464 channels; then a 1x1 conv + BN + ReLU to 1024 channels, which
    is part of this backbone. On 32x32 inputs the last map is 4x4 and the
    public 4x4 average pool is global, i.e. the ``GlobalAveragePooling``
    neck. Module names equal the public ones (``layer1.0.conv1``,
    ``conv2``, ``bn2``, ...).

    Stage taps (:mod:`.tap_points`): ``preact_feats.<i>`` (stages 0-2) is
    the last unit's concatenation before its ReLU and its channel shuffle,
    as RepDistiller's ``preact`` (a different channel order than
    ``feats.<i>``); ``preact_feats.3`` the final conv's BN output. Each
    stage needs a stride-1 unit last (``stage_blocks`` >= 1) for it.

    Config::

        backbone=dict(type='CIFARShuffleNetV2')

    Args:
        stage_channels (Sequence[int]): Output channels of the three stages.
            Defaults to (116, 232, 464).
        stage_blocks (Sequence[int]): Stride-1 units per stage (after the
            stride-2 unit). Defaults to (3, 7, 3).
        out_channels (int): Channels of the final 1x1 conv. Defaults to 1024.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Outputs to return: 0-2 are the stages,
            3 the final 1x1 conv. Defaults to (3, ).
        init_cfg (dict | list, optional): Initialisation; the public network
            keeps PyTorch's default, so defaults to None.
    """

    extra_taps = (PREACT, )

    def __init__(
        self,
        stage_channels: Sequence[int] = (116, 232, 464),
        stage_blocks: Sequence[int] = (3, 7, 3),
        out_channels: int = 1024,
        in_channels: int = 3,
        out_indices: Sequence[int] = (3,),
        init_cfg: Optional[Union[dict, list]] = None,
    ) -> None:
        super().__init__(init_cfg)
        self.out_indices = tuple(out_indices)
        self.conv1 = _conv(in_channels, 24)
        self.bn1 = nn.BatchNorm2d(24)
        channels = 24
        for i, (width, num_blocks) in enumerate(
            zip(stage_channels, stage_blocks)
        ):
            units = [CIFARShuffleV2DownUnit(channels, width)]
            units += [CIFARShuffleV2Unit(width) for _ in range(num_blocks)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*units))
            channels = width
        self.num_stages = len(stage_channels)
        self.conv2 = _conv(channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(self.num_stages):
            layer = getattr(self, f'layer{i + 1}')
            if self._wants(PREACT, i):
                x, preact = layer[-1].forward_with_preact(layer[:-1](x))
                self._tap(PREACT, i, preact)
            else:
                x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        x = self.bn2(self.conv2(x))
        self._tap(PREACT, self.num_stages, x)
        x = F.relu(x)
        if self.num_stages in self.out_indices:
            outs.append(x)
        return tuple(outs)
