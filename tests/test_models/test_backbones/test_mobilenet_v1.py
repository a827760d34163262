"""The ImageNet MobileNet-V1 backbone and its model config."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vrm_mm.models.backbones import MobileNetV1
from vrm_mm.registry import MODELS

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIG = osp.join(REPO_ROOT, 'configs/_base_/models/imagenet/mobilenet_v1.py')


def _num_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_config_has_the_published_parameter_count():
    init_default_scope('vrm_mm')
    model = MODELS.build(Config.fromfile(CONFIG).model)
    model.init_weights()
    # Howard et al. 2017, Table: 4.2M; the exact count of the 1.0-width
    # network with BatchNorm and a biased 1000-way fc
    assert _num_params(model) == 4_231_976
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 224, 224), mode='tensor')
    assert logits.shape == (1, 1000)
    assert torch.isfinite(logits).all()


def test_layout_depthwise_then_pointwise():
    backbone = MobileNetV1()
    assert len(backbone.layers) == 14
    depthwise = backbone.layers[1][0][0]
    assert depthwise.groups == depthwise.in_channels == 32
    assert depthwise.kernel_size == (3, 3)
    pointwise = backbone.layers[1][1][0]
    assert pointwise.kernel_size == (1, 1)
    assert pointwise.out_channels == 64


def test_strides_give_a_7x7_map_and_selected_outputs():
    backbone = MobileNetV1(widen_factor=0.25, out_indices=(0, 5, 13))
    outs = backbone(torch.randn(1, 3, 224, 224))
    assert [tuple(o.shape) for o in outs] == [(1, 8, 112, 112),
                                              (1, 64, 28, 28),
                                              (1, 256, 7, 7)]


def test_bad_out_indices_is_a_clear_error():
    with pytest.raises(ValueError, match='out_indices'):
        MobileNetV1(out_indices=(14, ))
