"""Pre-activation (``preact_feats``) and pre-norm (``prenorm_feats``) stage
taps, against RepDistiller's definitions (HobbitLong/RepDistiller,
models/*.py, ``is_feat=True, preact=True``) written out here on the
networks' own weights, in float64."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import MobileNetV2, ResNet, ResNet_CIFAR
from mmpretrain.models.utils import channel_shuffle
from torch import nn

from vrm_mm.models.backbones import (
    CIFARVGG,
    CIFARMobileNetV2,
    CIFARResNet,
    CIFARShuffleNetV1,
    CIFARShuffleNetV2,
    CIFARWideResNet,
    MobileNetV1,
)
from vrm_mm.models.backbones.tap_points import (
    PREACT,
    PRENORM,
    extra_tap_kinds,
    requesting_taps,
)


def _ready(backbone: nn.Module, train: bool = False) -> nn.Module:
    torch.manual_seed(0)
    backbone = backbone.double()
    for module in backbone.modules():  # non-trivial BN statistics
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    backbone.train(train)
    return backbone


def _taps(backbone: nn.Module, x: torch.Tensor, stages, kinds=(PREACT, )):
    """(every stage output, the requested taps) of one forward."""
    backbone.out_indices = tuple(stages)
    with requesting_taps(backbone, {k: stages for k in kinds}) as sink:
        feats = backbone(x)
    return feats, dict(sink)


def _input_of(module: nn.Module, backbone: nn.Module, x: torch.Tensor):
    """What ``module`` receives in a forward of ``backbone``."""
    seen = []
    handle = module.register_forward_hook(
        lambda m, inputs, output: seen.append(inputs[0]))
    with torch.no_grad():
        backbone(x)
    handle.remove()
    return seen[-1]


def _x() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(2, 3, 32, 32, dtype=torch.float64)


def _resnet_block_preact(block, x):
    # RepDistiller models/resnet.py BasicBlock / Bottleneck: `out +=
    # residual; preact = out` before F.relu
    out = F.relu(block.norm1(block.conv1(x)))
    if hasattr(block, 'conv3'):
        out = F.relu(block.norm2(block.conv2(out)))
        out = block.norm3(block.conv3(out))
    else:
        out = block.norm2(block.conv2(out))
    residual = x if block.downsample is None else block.downsample(x)
    return out + residual


@pytest.mark.parametrize('build, stages', [
    (lambda: CIFARResNet(depth=8), (0, 1, 2)),
    (lambda: CIFARResNet(depth=8, stem_channels=32, base_channels=64),
     (0, 1, 2)),
    (lambda: ResNet_CIFAR(depth=50), (0, 1, 2, 3)),
    (lambda: ResNet(depth=18), (0, 1, 2, 3)),
])
def test_resnet_preact_is_the_last_block_before_its_relu(build, stages):
    backbone = _ready(build())
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, stages)
    for stage in stages:
        layer = getattr(backbone, backbone.res_layers[stage])
        with torch.no_grad():
            expected = _resnet_block_preact(
                layer[-1], _input_of(layer[-1], backbone, x))
        preact = taps[f'{PREACT}.{stage}']
        torch.testing.assert_close(preact, expected, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(F.relu(preact), feats[stage])
        assert (preact < 0).any()  # the ReLU did not overwrite it
    # the hooks are gone and the ReLUs in place again
    for name in backbone.res_layers:
        relu = getattr(backbone, name)[-1].relu
        assert relu.inplace and not relu._forward_hooks


def test_wrn_preact_and_prenorm_follow_repdistiller():
    backbone = _ready(CIFARWideResNet(16, 2))
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, (0, 1, 2), (PREACT, PRENORM))
        block3_out = _input_of(backbone.final_bn, backbone, x)
        # models/wrn.py: f1 = block2.layer[0].bn1(f1), f2 =
        # block3.layer[0].bn1(f2), f3 = bn1(f3); without preact f3 is the
        # block3 output itself
        expected_preact = [backbone.layer2[0].bn1(feats[0]),
                           backbone.layer3[0].bn1(feats[1]),
                           backbone.final_bn(block3_out)]
    for stage in range(3):
        torch.testing.assert_close(taps[f'{PREACT}.{stage}'],
                                   expected_preact[stage])
    torch.testing.assert_close(taps[f'{PRENORM}.0'], feats[0])
    torch.testing.assert_close(taps[f'{PRENORM}.1'], feats[1])
    torch.testing.assert_close(taps[f'{PRENORM}.2'], block3_out)
    torch.testing.assert_close(F.relu(taps[f'{PREACT}.2']), feats[2])
    assert not torch.equal(taps[f'{PRENORM}.2'], feats[2])


def test_wrn_preact_in_training_leaves_the_bn_statistics_alone():
    tapped = _ready(CIFARWideResNet(16, 2), train=True)
    plain = copy.deepcopy(tapped)
    x = _x()
    feats, taps = _taps(tapped, x, (0, 1, 2), (PREACT, ))
    plain(x)
    for a, b in zip(tapped.state_dict().values(),
                    plain.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # batch statistics, as the BN inside the next block uses
    expected = F.batch_norm(feats[0], None, None,
                            tapped.layer2[0].bn1.weight,
                            tapped.layer2[0].bn1.bias, training=True)
    torch.testing.assert_close(taps[f'{PREACT}.0'], expected)
    sum(tap.sum() for tap in taps.values()).backward()
    assert tapped.layer2[0].bn1.weight.grad is not None


def test_vgg_preact_is_each_block_before_its_last_relu():
    backbone = _ready(CIFARVGG(depth=8))
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, range(5))
        for stage in range(5):
            block = getattr(backbone, f'block{stage}')
            # models/vgg.py: x = self.block<i>(x); f<i>_pre = x; F.relu(x)
            expected = block[:-1](_input_of(block, backbone, x))
            torch.testing.assert_close(taps[f'{PREACT}.{stage}'], expected)
            torch.testing.assert_close(F.relu(expected), feats[stage])


def test_mobilenetv2_stages_are_linear_and_the_last_conv_has_a_preact():
    backbone = _ready(CIFARMobileNetV2())
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, range(8))
        expected = backbone.conv2[:-1](_input_of(backbone.conv2, backbone, x))
    for stage in range(7):
        assert taps[f'{PREACT}.{stage}'] is feats[stage]
    torch.testing.assert_close(taps[f'{PREACT}.7'], expected)
    torch.testing.assert_close(F.relu(expected), feats[7])


def test_mobilenet_v1_preact_is_each_layer_before_its_last_relu():
    backbone = _ready(MobileNetV1(widen_factor=0.25))
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, (0, 3, 13))
        for stage in (0, 3, 13):
            layer = backbone.layers[stage]
            layer_in = _input_of(layer, backbone, x)
            # ReviewKD ImageNet/models/mobilenet.py: model[i][:-1](...)
            expected = (layer[:-1](layer_in) if stage == 0 else
                        layer[1][:-1](layer[0](layer_in)))
            preact = taps[f'{PREACT}.{stage}']
            torch.testing.assert_close(preact, expected)
            torch.testing.assert_close(F.relu(preact), feats[(0, 3, 13).index(
                stage)])


def test_shufflev1_preact_is_the_last_unit_before_its_relu():
    backbone = _ready(CIFARShuffleNetV1())
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, (0, 1, 2))
    for stage in range(3):
        unit = getattr(backbone, f'layer{stage + 1}')[-1]
        with torch.no_grad():
            unit_in = _input_of(unit, backbone, x)
            # models/ShuffleNetv1.py: preact = out + res (stride 1)
            out = F.relu(unit.bn1(unit.conv1(unit_in)))
            out = channel_shuffle(out, unit.first_groups)
            out = unit.bn3(unit.conv3(F.relu(unit.bn2(unit.conv2(out)))))
        torch.testing.assert_close(taps[f'{PREACT}.{stage}'], out + unit_in)
        torch.testing.assert_close(F.relu(out + unit_in), feats[stage])


def test_shufflev2_preact_is_the_unshuffled_concat_before_the_relu():
    backbone = _ready(CIFARShuffleNetV2())
    x = _x()
    with torch.no_grad():
        feats, taps = _taps(backbone, x, (0, 1, 2, 3))
    for stage in range(3):
        unit = getattr(backbone, f'layer{stage + 1}')[-1]
        with torch.no_grad():
            unit_in = _input_of(unit, backbone, x)
            kept, rest = unit_in.chunk(2, dim=1)
            # models/ShuffleNetv2.py: preact = bn3(conv3(...));
            # preact = torch.cat([x1, preact], 1), not shuffled
            out = unit.bn2(unit.conv2(F.relu(unit.bn1(unit.conv1(rest)))))
            out = unit.bn3(unit.conv3(out))
        expected = torch.cat([kept, out], dim=1)
        torch.testing.assert_close(taps[f'{PREACT}.{stage}'], expected)
        torch.testing.assert_close(
            channel_shuffle(torch.cat([kept, F.relu(out)], 1), 2),
            feats[stage])
    torch.testing.assert_close(F.relu(taps[f'{PREACT}.3']), feats[3])


@pytest.mark.parametrize('build', [
    lambda: CIFARResNet(depth=8),
    lambda: CIFARWideResNet(16, 1),
    lambda: CIFARVGG(depth=8),
    lambda: CIFARMobileNetV2(),
    lambda: CIFARShuffleNetV1(),
    lambda: CIFARShuffleNetV2(),
    lambda: MobileNetV1(widen_factor=0.25),
])
def test_taps_change_neither_outputs_nor_gradients(build):
    backbone = _ready(build(), train=True)
    plain = copy.deepcopy(backbone)
    x = _x()
    kinds = extra_tap_kinds(backbone)
    with requesting_taps(backbone, {k: range(8) for k in kinds}) as sink:
        feats = backbone(x)
    reference = plain(x)
    torch.testing.assert_close(feats, reference, rtol=0, atol=0)
    (feats[-1].square().sum() + sum(t.sum() for t in sink.values())
     ).backward()
    reference[-1].square().sum().backward()
    changed = [name for (name, p), q in zip(backbone.named_parameters(),
                                            plain.parameters())
               if p.grad is not None and q.grad is not None
               and not torch.equal(p.grad, q.grad)]
    assert changed  # the taps' own gradient arrived
    # nothing is requested or recorded any more
    assert not getattr(backbone, '_tap_requests', {})
    assert getattr(backbone, '_tap_sink', None) is None
    assert not any(module._forward_hooks for module in backbone.modules())


def test_offered_kinds():
    assert extra_tap_kinds(CIFARWideResNet(16, 1)) == (PREACT, PRENORM)
    assert extra_tap_kinds(ResNet(depth=18)) == (PREACT, )
    assert extra_tap_kinds(CIFARShuffleNetV1()) == (PREACT, )
    assert extra_tap_kinds(MobileNetV1()) == (PREACT, )
    assert extra_tap_kinds(MobileNetV2()) == ()  # mmpretrain's


def test_a_kind_the_backbone_lacks_names_it_and_its_taps():
    with pytest.raises(ValueError) as error:
        with requesting_taps(MobileNetV2(), {PREACT: [1]}):
            pass
    assert 'MobileNetV2 has no preact_feats taps; it has feats.<i> (' in str(
        error.value)
    with pytest.raises(ValueError, match='CIFARVGG has no prenorm_feats '
                       'taps; it has feats.<i>, preact_feats.<i>'):
        with requesting_taps(CIFARVGG(depth=8), {PRENORM: [1]}):
            pass
