"""A convolution + BatchNorm + ReLU adapter for feature maps."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from vrm_mm.registry import MODELS


def _resizing_conv(in_channels: int, out_channels: int, in_size: int,
                   out_size: int) -> nn.Module:
    """The convolution that maps an ``in_size`` square map to ``out_size``.

    Halving: a 3 x 3 convolution with stride 2; doubling: a 4 x 4
    transposed convolution with stride 2; any other shrinking: an unpadded
    ``(1 + in_size - out_size)`` square kernel (the choices of RepDistiller's
    FitNet regressor, ``ConvReg``).
    """
    if in_size == 2 * out_size:
        return nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1,
                         bias=False)
    if 2 * in_size == out_size:
        return nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2,
                                  padding=1, bias=False)
    if in_size > out_size:
        return nn.Conv2d(in_channels, out_channels,
                         1 + in_size - out_size, bias=False)
    raise ValueError(
        f'ConvBNReLUConnector cannot enlarge a {in_size} x {in_size} map to '
        f'{out_size} x {out_size}: it halves, doubles or shrinks. Read a '
        'student stage at least half the target size (or map to a smaller '
        'teacher stage).')


@MODELS.register_module()
class ConvBNReLUConnector(BaseModule):
    """Map ``B x C_in x H x W`` to ``B x C_out x H' x W'``: conv, BN, ReLU.

    The convolution has no bias (BatchNorm follows). Without ``in_size`` /
    ``out_size`` (or with equal ones) it keeps the spatial size
    (``kernel_size // 2`` padding, odd kernels). With different square sizes
    it resizes as FitNet's regressor in RepDistiller / mdistiller
    (``ConvReg``): a strided 3 x 3 convolution halves, a strided 4 x 4
    transposed convolution doubles, an unpadded ``1 + in_size - out_size``
    kernel shrinks otherwise. Example configs (the student's last feature
    map brought to the teacher's width; a FitNet hint regressor from a
    ShuffleNetV1 stage, 480 x 8 x 8, to a ResNet32x4 stage, 128 x 16 x 16)::

        connectors=dict(
            adapt=dict(type='ConvBNReLUConnector', in_channels=64,
                       out_channels=256, kernel_size=1,
                       input='student.feats'))

        connectors=dict(
            hint=dict(type='ConvBNReLUConnector', in_channels=480,
                      out_channels=128, in_size=8, out_size=16,
                      input='student.feats.1'))

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Convolution kernel size where the size is kept.
            Defaults to 1.
        in_size: Side of the (square) input map, to resize. Defaults to None
            (keep the size).
        out_size: Side of the (square) output map. Defaults to None.
        init_cfg: mmengine initialisation config. Defaults to None
            (PyTorch's default initialisation).

    Raises:
        ValueError: If only one of ``in_size`` / ``out_size`` is given, if
            the sizes differ and ``kernel_size`` is not 1 (the sizes fix the
            kernel), or if the output would be more than twice the input.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 in_size: Optional[int] = None,
                 out_size: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (in_size is None) != (out_size is None):
            raise ValueError(
                'ConvBNReLUConnector resizes when given both in_size and '
                f'out_size, got in_size={in_size}, out_size={out_size}.')
        if in_size is not None and in_size != out_size:
            if kernel_size != 1:
                raise ValueError(
                    f'ConvBNReLUConnector: resizing {in_size} -> {out_size} '
                    'fixes the kernel; leave kernel_size at 1, got '
                    f'{kernel_size}.')
            self.conv = _resizing_conv(in_channels, out_channels, in_size,
                                       out_size)
        else:
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
