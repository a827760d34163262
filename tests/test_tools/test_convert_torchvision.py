"""tools/convert_torchvision.py: torchvision weights -> mmpretrain, one logit.

torchvision's models with random weights (and random BatchNorm statistics,
so that every BatchNorm must land in the right place) are saved in
torchvision's own layout, converted, and loaded strictly into mmpretrain's
model config of the same network; both must give the same logits.
"""
import importlib.util
import os.path as osp

import pytest
import torch
import torchvision
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from vrm_mm.converters.torchvision_models import (
    TORCHVISION_MODELS,
    convert_torchvision_state_dict,
)
from vrm_mm.models.distillers.build import resolve_cfg_path
from vrm_mm.registry import MODELS

_SPEC = importlib.util.spec_from_file_location(
    'convert_torchvision', osp.join(REPO_ROOT, 'tools',
                                    'convert_torchvision.py'))
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)


def _torchvision(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.normal_(module.weight, 1.0, 0.2)
            torch.nn.init.normal_(module.bias, 0.0, 0.2)
            module.running_mean.normal_(0.0, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def _mmpretrain(name: str) -> torch.nn.Module:
    init_default_scope('vrm_mm')
    config = resolve_cfg_path(TORCHVISION_MODELS[name], 'model')
    return MODELS.build(Config.fromfile(config).model).eval()


@pytest.mark.parametrize('name', list(TORCHVISION_MODELS))
def test_converted_weights_give_the_same_logits(name, tmp_path, capsys):
    source = _torchvision(name)
    src, dst = str(tmp_path / 'tv.pth'), str(tmp_path / 'mm.pth')
    torch.save(source.state_dict(), src)
    tool.main([src, dst, '--model', name])
    assert f'{name}: ' in capsys.readouterr().out

    target = _mmpretrain(name)
    load_checkpoint(target, dst, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = source(x)
        logits = target(x, mode='tensor')
    assert logits.shape == (2, 1000)
    difference = (logits - expected).abs().max().item()
    print(f'{name}: max |logit difference| = {difference:.2e} '
          f'(logits up to {expected.abs().max().item():.2f})')
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-5)


def test_a_checkpoint_of_another_network_is_refused():
    resnet18 = _torchvision('resnet18').state_dict()
    with pytest.raises(ValueError, match='lacks .* key.*layer1.0.conv3'):
        convert_torchvision_state_dict(
            resnet18, 'resnet50', _mmpretrain('resnet50').state_dict())
    mobilenet = _torchvision('mobilenet_v2').state_dict()
    with pytest.raises(ValueError, match='do not map onto resnet18'):
        convert_torchvision_state_dict(
            mobilenet, 'resnet18', _mmpretrain('resnet18').state_dict())


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown torchvision model 'vgg16'"):
        convert_torchvision_state_dict({}, 'vgg16', {})
