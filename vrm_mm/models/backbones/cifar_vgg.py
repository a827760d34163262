"""The CIFAR VGG networks (with BN, no FC layers) of the RepDistiller zoo."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import nn

from vrm_mm.registry import MODELS

from .init_cfgs import CONV_KAIMING_BN_ONE_INIT
from .tap_points import PREACT, StageTaps


@MODELS.register_module()
class CIFARVGG(StageTaps, BaseBackbone):
    """CIFAR VGG-8/11/13 with batch norm (``vgg8_bn`` ... ``vgg13_bn``).

    Five blocks of 3x3 conv (with bias) + BN + ReLU; 2x2 max-pools follow
    blocks 0, 1 and 2. As in the public network, the max-pool after block 3
    runs only on 64-pixel inputs (Tiny-ImageNet), so the last block sees a
    4x4 map on CIFAR. The public global average pool and linear
    ``classifier`` are the ``GlobalAveragePooling`` neck and a linear head
    here. Module names equal the public ones (``block0.0`` conv,
    ``block0.1`` BN, ``block0.3`` conv, ...).

    Stage taps (:mod:`.tap_points`): ``feats.<i>`` is block ``i``'s ReLU
    output, ``preact_feats.<i>`` its last BN output before that ReLU
    (RepDistiller's ``f<i>_pre``, models/vgg.py lines 64-96; its preact
    list keeps block 0 post-ReLU, so read ``feats.0`` to match it there).

    Config::

        backbone=dict(type='CIFARVGG', depth=13)

    Args:
        depth (int): 8, 11 or 13.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Blocks whose (ReLU) output is returned,
            0-4. Defaults to (4, ).
        init_cfg (dict | list, optional): Initialisation; defaults to the
            public one (Kaiming fan-out convs with zero bias, unit BN).
    """

    extra_taps = (PREACT, )
    arch_settings = {
        8: ((64,), (128,), (256,), (512,), (512,)),
        11: ((64,), (128,), (256, 256), (512, 512), (512, 512)),
        13: ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    }

    def __init__(
        self,
        depth: int,
        in_channels: int = 3,
        out_indices: Sequence[int] = (4,),
        init_cfg: Optional[Union[dict, list]] = CONV_KAIMING_BN_ONE_INIT,
    ) -> None:
        super().__init__(init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(
                f'CIFARVGG depth must be one of '
                f'{sorted(self.arch_settings)}, got {depth}.'
            )
        self.out_indices = tuple(out_indices)
        channels = in_channels
        for i, widths in enumerate(self.arch_settings[depth]):
            layers = []
            for width in widths:
                layers += [
                    nn.Conv2d(channels, width, 3, padding=1),
                    nn.BatchNorm2d(width),
                    nn.ReLU(inplace=True),
                ]
                channels = width
            self.add_module(f'block{i}', nn.Sequential(*layers))
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        pool_after = (0, 1, 2, 3) if x.shape[2] == 64 else (0, 1, 2)
        outs = []
        for i in range(5):
            block = getattr(self, f'block{i}')
            if self._wants(PREACT, i):
                x = block[:-1](x)  # up to the block's last BN
                self._tap(PREACT, i, x)
                x = F.relu(x)  # out of place: keep the tap intact
            else:
                x = block(x)
            if i in self.out_indices:
                outs.append(x)
            if i in pool_after:
                x = self.pool(x)
        return tuple(outs)
