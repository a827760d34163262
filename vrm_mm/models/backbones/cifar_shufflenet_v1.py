"""The CIFAR ShuffleNetV1 (``ShuffleV1``) of the RepDistiller zoo."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import channel_shuffle
from torch import nn

from vrm_mm.registry import MODELS

from .tap_points import PREACT, StageTaps


class CIFARShuffleV1Unit(BaseModule):
    """ShuffleNetV1 unit: grouped 1x1, shuffle, depthwise 3x3, grouped 1x1.

    A stride-2 unit concatenates a 3x3 average-pooled input (so its convs
    produce ``out_channels - in_channels`` maps); a stride-1 unit adds the
    input. The first grouped 1x1 conv is ungrouped on the 24-channel stem
    output, as in the public network.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels of the unit (after concat).
        stride (int): 1 or 2.
        groups (int): Groups of the 1x1 convs.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, groups: int
    ) -> None:
        super().__init__()
        self.stride = stride
        branch_channels = out_channels - in_channels * (stride == 2)
        mid_channels = branch_channels // 4
        self.first_groups = 1 if in_channels == 24 else groups
        self.conv1 = nn.Conv2d(
            in_channels, mid_channels, 1, groups=self.first_groups, bias=False
        )
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(
            mid_channels,
            mid_channels,
            3,
            stride,
            padding=1,
            groups=mid_channels,
            bias=False,
        )
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(
            mid_channels, branch_channels, 1, groups=groups, bias=False
        )
        self.bn3 = nn.BatchNorm2d(branch_channels)

    def preact(self, x: torch.Tensor) -> torch.Tensor:
        """The unit's output before its final ReLU (RepDistiller's
        ``preact``, models/ShuffleNetv1.py line 47)."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.first_groups)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            shortcut = F.avg_pool2d(x, 3, stride=2, padding=1)
            return torch.cat([out, shortcut], dim=1)
        return out + x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.preact(x))


@MODELS.register_module()
class CIFARShuffleNetV1(StageTaps, BaseBackbone):
    """CIFAR ShuffleNetV1 with 3 groups (``ShuffleV1`` in the zoo).

    A 1x1 stem conv to 24 channels (no stride, no max-pool), then three
    stages of (4, 8, 4) units with 240, 480, 960 channels, each starting
    with a stride-2 unit. On 32x32 inputs the last map is 4x4 and the public
    4x4 average pool is global, i.e. the ``GlobalAveragePooling`` neck.
    Module names equal the public ones (``conv1``, ``bn1``,
    ``layer1.0.conv1``, ...).

    Stage taps (:mod:`.tap_points`): ``preact_feats.<i>`` is the last
    unit's sum / concatenation before its ReLU (RepDistiller's ``preact``,
    models/ShuffleNetv1.py lines 47-51).

    Config::

        backbone=dict(type='CIFARShuffleNetV1')

    Args:
        stage_channels (Sequence[int]): Output channels of the three stages.
            Defaults to (240, 480, 960).
        stage_blocks (Sequence[int]): Units per stage. Defaults to (4, 8, 4).
        groups (int): Groups of the 1x1 convs. Defaults to 3.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages whose output is returned (0-2).
            Defaults to (2, ).
        init_cfg (dict | list, optional): Initialisation; the public network
            keeps PyTorch's default, so defaults to None.
    """

    extra_taps = (PREACT, )

    def __init__(
        self,
        stage_channels: Sequence[int] = (240, 480, 960),
        stage_blocks: Sequence[int] = (4, 8, 4),
        groups: int = 3,
        in_channels: int = 3,
        out_indices: Sequence[int] = (2,),
        init_cfg: Optional[Union[dict, list]] = None,
    ) -> None:
        super().__init__(init_cfg)
        self.out_indices = tuple(out_indices)
        self.conv1 = nn.Conv2d(in_channels, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        channels = 24
        for i, (width, num_blocks) in enumerate(
            zip(stage_channels, stage_blocks)
        ):
            units = []
            for j in range(num_blocks):
                units.append(
                    CIFARShuffleV1Unit(
                        channels, width, 2 if j == 0 else 1, groups
                    )
                )
                channels = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*units))
        self.num_stages = len(stage_channels)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(self.num_stages):
            layer = getattr(self, f'layer{i + 1}')
            if self._wants(PREACT, i):
                x = layer[-1].preact(layer[:-1](x))
                self._tap(PREACT, i, x)
                x = F.relu(x)
            else:
                x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
