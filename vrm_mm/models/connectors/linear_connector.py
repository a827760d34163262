"""A linear projection of pooled features."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from vrm_mm.registry import MODELS


@MODELS.register_module()
class LinearConnector(BaseModule):
    """Project ``B x C_in`` features to ``B x C_out`` with one linear layer.

    Trained with the student. Example config (student features projected to
    the teacher's width; losses read the result as ``connectors.proj``)::

        connectors=dict(
            proj=dict(type='LinearConnector', in_channels=64,
                      out_channels=256, input='student.pre_logits'))

    Args:
        in_channels: Input feature width.
        out_channels: Output feature width.
        bias: Whether the layer has a bias. Defaults to True.
        init_cfg: mmengine initialisation config. Defaults to None
            (PyTorch's default initialisation).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 bias: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, out_channels, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        """Project ``x`` (``B x in_channels``)."""
        return self.fc(x)
