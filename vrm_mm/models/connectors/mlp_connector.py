"""A two-layer MLP projector for pooled features."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from vrm_mm.registry import MODELS


@MODELS.register_module()
class MLPConnector(BaseModule):
    """Project ``B x C_in`` features through Linear, ReLU, Linear.

    Example config::

        connectors=dict(
            proj=dict(type='MLPConnector', in_channels=64,
                      hidden_channels=256, out_channels=256,
                      input='student.pre_logits'))

    Args:
        in_channels: Input feature width.
        hidden_channels: Width of the hidden layer.
        out_channels: Output feature width.
        init_cfg: mmengine initialisation config. Defaults to None
            (PyTorch's default initialisation).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = nn.Sequential(
            nn.Linear(in_channels, hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        """Project ``x`` (``B x in_channels``)."""
        return self.layers(x)
