"""A convolution + BatchNorm + ReLU adapter for feature maps."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from vrm_mm.registry import MODELS


@MODELS.register_module()
class ConvBNReLUConnector(BaseModule):
    """Map ``B x C_in x H x W`` to ``B x C_out x H x W``: conv, BN, ReLU.

    The convolution has no bias (BatchNorm follows) and ``kernel_size // 2``
    padding, so odd kernels keep the spatial size. Example config (the
    student's last feature map brought to the teacher's width)::

        connectors=dict(
            adapt=dict(type='ConvBNReLUConnector', in_channels=64,
                       out_channels=256, kernel_size=1,
                       input='student.feats'))

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Convolution kernel size. Defaults to 1.
        init_cfg: mmengine initialisation config. Defaults to None
            (PyTorch's default initialisation).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """Adapt ``x`` (``B x in_channels x H x W``)."""
        return self.relu(self.bn(self.conv(x)))
