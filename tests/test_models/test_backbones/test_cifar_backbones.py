"""Shapes, input sizes and the structural details of the public CIFAR zoo."""

import pytest
import torch
from torch import nn

from vrm_mm.models.backbones import (
    CIFARVGG,
    CIFARMobileNetV2,
    CIFARResNet,
    CIFARShuffleNetV1,
    CIFARShuffleNetV2,
    CIFARWideResNet,
)
from vrm_mm.models.backbones.cifar_wrn import WideBasicBlock


def _eval(backbone: nn.Module) -> nn.Module:
    # mmpretrain's BaseBackbone.train() returns None, so .eval() can't chain.
    backbone.eval()
    return backbone


# backbone, final (C, H, W) at 32x32, at 28x28
CASES = {
    'resnet8': (
        lambda **kw: CIFARResNet(depth=8, **kw),
        (64, 8, 8),
        (64, 7, 7),
    ),
    'resnet8x4': (
        lambda **kw: CIFARResNet(
            depth=8, stem_channels=32, base_channels=64, **kw
        ),
        (256, 8, 8),
        (256, 7, 7),
    ),
    'wrn_16_2': (
        lambda **kw: CIFARWideResNet(16, 2, **kw),
        (128, 8, 8),
        (128, 7, 7),
    ),
    'vgg8': (lambda **kw: CIFARVGG(8, **kw), (512, 4, 4), (512, 3, 3)),
    'mobilenetv2': (
        lambda **kw: CIFARMobileNetV2(**kw),
        (1280, 2, 2),
        (1280, 2, 2),
    ),
    'shufflev1': (
        lambda **kw: CIFARShuffleNetV1(**kw),
        (960, 4, 4),
        (960, 4, 4),
    ),
    'shufflev2': (
        lambda **kw: CIFARShuffleNetV2(**kw),
        (1024, 4, 4),
        (1024, 4, 4),
    ),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_final_feature_map_at_32_and_28_pixels(name):
    build, shape32, shape28 = CASES[name]
    rgb = _eval(build())
    gray = _eval(build(in_channels=1))
    with torch.no_grad():
        out32 = rgb(torch.randn(2, 3, 32, 32))
        out28 = gray(torch.randn(2, 1, 28, 28))
    assert isinstance(out32, tuple) and len(out32) == 1
    assert out32[0].shape == (2, *shape32)
    assert out28[0].shape == (2, *shape28)


@pytest.mark.parametrize(
    'backbone, shapes',
    [
        (
            CIFARResNet(depth=8, out_indices=(0, 1, 2)),
            [(16, 32, 32), (32, 16, 16), (64, 8, 8)],
        ),
        (
            CIFARWideResNet(16, 1, out_indices=(0, 1, 2)),
            [(16, 32, 32), (32, 16, 16), (64, 8, 8)],
        ),
        (CIFARVGG(8, out_indices=(0, 3)), [(64, 32, 32), (512, 4, 4)]),
        (CIFARMobileNetV2(out_indices=(1, 7)), [(12, 16, 16), (1280, 2, 2)]),
        (CIFARShuffleNetV2(out_indices=(2, 3)), [(464, 4, 4), (1024, 4, 4)]),
    ],
)
def test_intermediate_outputs(backbone, shapes):
    with torch.no_grad():
        outs = _eval(backbone)(torch.randn(2, 3, 32, 32))
    assert [tuple(out.shape[1:]) for out in outs] == shapes


def test_init_matches_the_public_networks():
    resnet = CIFARResNet(depth=8)
    resnet.init_weights()
    # Unlike mmpretrain's default, residual branches are not zero-initialised.
    assert (resnet.layer1[0].bn2.weight == 1).all()
    vgg = CIFARVGG(8)
    nn.init.normal_(vgg.block0[0].bias)
    vgg.init_weights()
    assert (vgg.block0[0].bias == 0).all()
    # Kaiming-normal fan-out: std sqrt(2 / (3 * 3 * 512)).
    std = vgg.block4[0].weight.std().item()
    assert std == pytest.approx((2 / (9 * 512)) ** 0.5, rel=0.05)


def test_vgg_pools_before_last_block_only_on_64_pixel_inputs():
    vgg = _eval(CIFARVGG(8))
    with torch.no_grad():
        out64 = vgg(torch.randn(1, 3, 64, 64))[0]
        out48 = vgg(torch.randn(1, 3, 48, 48))[0]
    assert out64.shape[-2:] == (4, 4)  # 64 -> 32 -> 16 -> 8 -> 4
    assert out48.shape[-2:] == (6, 6)  # 48 -> 24 -> 12 -> 6, no 4th pool


def _zero_residual_branch(block: WideBasicBlock) -> WideBasicBlock:
    nn.init.zeros_(block.conv2.weight)
    return block.eval()


def test_wrn_projection_shortcut_takes_the_preactivated_input():
    block = _zero_residual_branch(WideBasicBlock(4, 8, stride=1))
    nn.init.ones_(block.shortcut.weight)
    x = torch.randn(2, 4, 5, 5)
    expected = x.clamp(min=0).sum(1, keepdim=True).expand(2, 8, 5, 5)
    with torch.no_grad():
        # BN at init in eval mode is x / sqrt(1 + eps).
        out = block(x) * (1 + block.bn1.eps) ** 0.5
    torch.testing.assert_close(out, expected)


def test_wrn_identity_shortcut_takes_the_raw_input():
    block = _zero_residual_branch(WideBasicBlock(4, 4, stride=1))
    assert block.shortcut is None
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


def test_wrn_projection_only_where_width_or_stride_changes():
    wrn = CIFARWideResNet(16, 1)
    with_projection = [
        name
        for name, module in wrn.named_modules()
        if isinstance(module, WideBasicBlock) and module.shortcut is not None
    ]
    assert with_projection == ['layer2.0', 'layer3.0']


def test_mobilenetv2_keeps_the_expand_conv_at_expansion_one():
    first = CIFARMobileNetV2().blocks[0][0].conv[0]
    assert isinstance(first, nn.Conv2d)
    assert (first.in_channels, first.out_channels) == (16, 16)


def test_shufflev1_first_unit_is_ungrouped_and_concatenates():
    net = CIFARShuffleNetV1()
    assert net.layer1[0].conv1.groups == 1
    assert net.layer1[1].conv1.groups == 3
    assert net.layer1[0].conv3.out_channels == 240 - 24
    assert net.layer2[0].conv3.out_channels == 480 - 240


@pytest.mark.parametrize(
    'build, message',
    [
        (lambda: CIFARResNet(depth=18), 'depth must be one of'),
        (lambda: CIFARWideResNet(depth=18), 'depth must be 6n\\+4'),
        (lambda: CIFARVGG(depth=16), 'depth must be one of'),
    ],
)
def test_bad_depth_is_a_clear_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()
