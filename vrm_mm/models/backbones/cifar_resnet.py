"""The three-stage CIFAR ResNets of the RepDistiller / mdistiller zoo."""

from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.models.backbones.resnet_cifar import ResNet_CIFAR

from vrm_mm.registry import MODELS


@MODELS.register_module()
class CIFARResNet(ResNet_CIFAR):
    """CIFAR ResNet of depth 6n+2 with three stages (He et al., 2016, 4.2).

    mmpretrain's ``ResNet`` machinery with the CIFAR stem (3x3 conv, stride
    1, no max-pool) and three stages of basic blocks at strides 1, 2, 2.
    Module names equal those of the public ``resnet.py`` (``conv1``, ``bn1``,
    ``layer1.0.conv1``, ``layer1.0.downsample.0``, ...), so a public
    checkpoint maps key for key. Initialisation matches the public one
    (Kaiming fan-out convolutions, no zero-initialised residual norms).

    The public networks in channel terms (stem, stage 1, 2, 3):

    * ``resnet8`` ... ``resnet110``: ``stem_channels=16, base_channels=16``
      (16, 16, 32, 64), depth 8, 14, 20, 32, 44, 56 or 110;
    * ``resnet8x4``, ``resnet32x4``: ``stem_channels=32, base_channels=64``
      (32, 64, 128, 256), depth 8 or 32.

    Config::

        backbone=dict(type='CIFARResNet', depth=20)

    Args:
        depth (int): Network depth, 6n+2 from {8, 14, 20, 32, 44, 56, 110}.
        stem_channels (int): Output channels of the stem conv. Defaults to 16.
        base_channels (int): Output channels of the first stage; they double
            at each later stage. Defaults to 16.
        **kwargs: Further ``mmpretrain.models.ResNet`` arguments
            (``in_channels``, ``out_indices``, ``frozen_stages``, ...).
    """

    arch_settings = {
        depth: (BasicBlock, ((depth - 2) // 6,) * 3)
        for depth in (8, 14, 20, 32, 44, 56, 110)
    }

    def __init__(
        self,
        depth: int,
        stem_channels: int = 16,
        base_channels: int = 16,
        **kwargs,
    ) -> None:
        if depth not in self.arch_settings:
            raise ValueError(
                f'CIFARResNet depth must be one of '
                f'{sorted(self.arch_settings)}, got {depth}.'
            )
        kwargs.setdefault('out_indices', (2,))
        kwargs.setdefault('zero_init_residual', False)
        super().__init__(
            depth,
            stem_channels=stem_channels,
            base_channels=base_channels,
            num_stages=3,
            strides=(1, 2, 2),
            dilations=(1, 1, 1),
            **kwargs,
        )
