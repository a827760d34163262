"""Stage taps (``<model>.feats.<i>``), list inputs and per-sample fields."""
import copy

import pytest
import torch
from distill_helpers import build, distiller_cfg, samples, save_teacher
from distill_helpers import tiny_classifier as cifar_classifier
from torch import nn

from vrm_mm.registry import MODELS
from vrm_mm.utils.errors import DistillDataError

LABELS = [0, 1, 2, 0]


@MODELS.register_module()
class TapRecordingLoss(nn.Module):
    """Records its inputs; loss = sum of the mean squares of ``a``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = []

    def forward(self, a, b=None):
        self.calls.append(dict(a=a, b=b))
        parts = a if isinstance(a, list) else [a]
        return sum(part.float().pow(2).mean() for part in parts)


@MODELS.register_module()
class ListSumConnector(nn.Module):
    """Pools each tensor of a list to B x C and sums them (equal C)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, feats):
        return self.scale * sum(feat.mean((2, 3)) for feat in feats)


@MODELS.register_module()
class LastStageOnlyNeck(nn.Module):
    """A neck that, like many, refuses more than one backbone output."""

    def forward(self, feats):
        if len(feats) != 1:
            raise AssertionError(f'got {len(feats)} outputs')
        return (feats[0].mean((2, 3)), )


def recording(**inputs) -> dict:
    return dict(type='TapRecordingLoss', inputs=inputs)


def mmpretrain_resnet18(num_classes: int = 3) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=512, loss=dict(type='CrossEntropyLoss')))


def distiller(tmp_path, model, **overrides):
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, model, seed=3)
    torch.manual_seed(0)
    return build(distiller_cfg(ckpt, student=copy.deepcopy(model),
                               teacher=copy.deepcopy(model), **overrides))


def all_stages(model: nn.Module, x: torch.Tensor, out_indices) -> tuple:
    """Every stage output, computed by a copy built with wide out_indices."""
    backbone = copy.deepcopy(model.backbone)
    backbone.out_indices = tuple(out_indices)
    with torch.no_grad():
        return backbone(x)


@pytest.mark.parametrize('model, stages', [
    (cifar_classifier(), (0, 1, 2)),
    (mmpretrain_resnet18(), (0, 1, 2, 3)),
])
def test_taps_are_the_stage_outputs_and_the_classifier_is_unchanged(
        tmp_path, model, stages):
    loss = recording(a=[f'student.feats.{i}' for i in stages],
                     b='teacher.feats.1')
    distiller_ = distiller(tmp_path, model,
                           distill_losses=dict(loss_tap=loss))
    original = distiller_.student.backbone.out_indices
    x = torch.randn(4, 3, 32, 32)
    distiller_.eval()  # the same BatchNorm behaviour as all_stages
    losses = distiller_(x, samples(LABELS), mode='loss')
    call = distiller_.distill_losses.loss_tap.calls[-1]
    expected = all_stages(distiller_.student, x, stages)
    assert len(call['a']) == len(stages)
    for tap, reference in zip(call['a'], expected):
        torch.testing.assert_close(tap, reference, rtol=0, atol=0)
    torch.testing.assert_close(
        call['b'], all_stages(distiller_.teacher, x, stages)[1])
    # only for the distiller's pass: the student alone is as configured
    assert distiller_.student.backbone.out_indices == original
    logits = distiller_(x, mode='tensor')
    own = distiller_.student.head(distiller_.student.neck(
        (expected[-1], )))
    torch.testing.assert_close(logits, own)
    assert losses['loss_tap'].requires_grad


def test_a_neck_expecting_one_stage_keeps_working(tmp_path):
    model = cifar_classifier()
    model['neck'] = dict(type='LastStageOnlyNeck')
    distiller_ = distiller(
        tmp_path, model, distill_losses=dict(
            loss_tap=recording(a='student.feats.0',
                               b='teacher.feats.0_virtual')))
    views = [torch.randn(4, 3, 16, 16) for _ in range(2)]
    losses = distiller_(views, samples(LABELS), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_tap'}
    call = distiller_.distill_losses.loss_tap.calls[-1]
    assert call['a'].shape == (4, 4, 16, 16)  # stage 0: 4 channels
    expected = all_stages(distiller_.teacher, views[1], (0, ))[0]
    torch.testing.assert_close(call['b'], expected)


@pytest.mark.parametrize('model, name, listed', [
    (cifar_classifier(), 'student.feats.3',
     'CIFARResNet has stages 0-2 (0: 4x32x32, 1: 8x16x16, 2: 16x8x8'),
    (mmpretrain_resnet18(), 'teacher.feats.4',
     'ResNet has stages 0-3 (0: 64x8x8, 1: 128x4x4, 2: 256x2x2, '
     '3: 512x1x1'),
])
def test_an_unknown_stage_lists_the_valid_ones_at_build(
        tmp_path, model, name, listed):
    with pytest.raises(ValueError) as error:
        distiller(tmp_path, model,
                  distill_losses=dict(loss_tap=recording(a=name)))
    message = str(error.value)
    assert f'loss_tap reads {name}' in message
    assert listed in message


@pytest.mark.parametrize('name', ['student.feats.01', 'student.feats.',
                                  'student.feat.1', 'student.logits.1'])
def test_malformed_stage_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match='unknown input name'):
        distiller(tmp_path, cifar_classifier(),
                  distill_losses=dict(loss_tap=recording(a=name)))


def test_a_connector_takes_a_list_of_stages(tmp_path):
    connectors = dict(fuse=dict(type='ListSumConnector',
                                input=['student.feats.0', 'student.feats.0']))
    distiller_ = distiller(
        tmp_path, cifar_classifier(), connectors=connectors,
        distill_losses=dict(loss_tap=recording(a='connectors.fuse')))
    x = torch.randn(4, 3, 8, 8)
    losses = distiller_(x, samples(LABELS), mode='loss')
    call = distiller_.distill_losses.loss_tap.calls[-1]
    assert call['a'].shape == (4, 4)
    losses['loss_tap'].backward()
    assert distiller_.connectors.fuse.scale.grad is not None


def test_sample_fields_are_batched_from_the_metainfo(tmp_path):
    distiller_ = distiller(
        tmp_path, cifar_classifier(), distill_losses=dict(
            loss_tap=recording(a='student.logits', b='sample_idx'),
            loss_contrast=recording(a='student.logits', b='contrast_idx')))
    batch = samples(LABELS)
    for i, sample in enumerate(batch):
        sample.set_metainfo(dict(sample_idx=10 + i,
                                 contrast_idx=[10 + i, 1, 2]))
    distiller_(torch.randn(4, 3, 8, 8), batch, mode='loss')
    indices = distiller_.distill_losses.loss_tap.calls[-1]['b']
    assert indices.tolist() == [10, 11, 12, 13]
    assert indices.dtype == torch.int64
    contrast = distiller_.distill_losses.loss_contrast.calls[-1]['b']
    assert contrast.tolist() == [[10 + i, 1, 2] for i in range(4)]


def test_a_missing_sample_field_names_its_source(tmp_path):
    distiller_ = distiller(
        tmp_path, cifar_classifier(), distill_losses=dict(
            loss_tap=recording(a='student.logits', b='contrast_idx')))
    with pytest.raises(DistillDataError,
                       match="reads 'contrast_idx', but data sample 0.*"
                       'ContrastSampleDataset'):
        distiller_(torch.randn(4, 3, 8, 8), samples(LABELS), mode='loss')


def test_an_empty_list_of_names_is_refused(tmp_path):
    with pytest.raises(ValueError, match='empty list of input names'):
        distiller(tmp_path, cifar_classifier(),
                  distill_losses=dict(loss_tap=recording(a=[])))


def wrn_classifier(num_classes: int = 3) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARWideResNet', depth=10, widen_factor=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=64, loss=dict(type='CrossEntropyLoss')))


def extra_taps(model: nn.Module, x: torch.Tensor, requests) -> dict:
    """The taps of ``requests`` (kind -> stages), from a copy's backbone."""
    from vrm_mm.models.backbones.tap_points import requesting_taps
    backbone = copy.deepcopy(model.backbone)
    with torch.no_grad(), requesting_taps(backbone, requests) as sink:
        backbone(x)
    return dict(sink)


@pytest.mark.parametrize('model, stages', [
    (cifar_classifier(), (0, 1, 2)),
    (mmpretrain_resnet18(), (0, 1, 2, 3)),
])
def test_preact_taps_reach_the_loss_and_the_classifier_is_unchanged(
        tmp_path, model, stages):
    loss = recording(a=[f'teacher.preact_feats.{i}' for i in stages],
                     b='student.preact_feats.1_virtual')
    distiller_ = distiller(tmp_path, model,
                           distill_losses=dict(loss_tap=loss))
    views = [torch.randn(4, 3, 32, 32) for _ in range(2)]
    distiller_.eval()
    distiller_(views, samples(LABELS), mode='loss')
    call = distiller_.distill_losses.loss_tap.calls[-1]
    expected = extra_taps(distiller_.teacher, views[0],
                          {'preact_feats': stages})
    for stage, tap in zip(stages, call['a']):
        torch.testing.assert_close(tap, expected[f'preact_feats.{stage}'],
                                   rtol=0, atol=0)
        post = all_stages(distiller_.teacher, views[0], stages)[stage]
        torch.testing.assert_close(tap.clamp(min=0), post)
        assert (tap < 0).any()
    torch.testing.assert_close(
        call['b'], extra_taps(distiller_.student, views[1],
                              {'preact_feats': [1]})['preact_feats.1'])
    logits = distiller_(views[0], mode='tensor')
    own = distiller_.student.head(distiller_.student.neck(
        all_stages(distiller_.student, views[0],
                   distiller_.student.backbone.out_indices)))
    torch.testing.assert_close(logits, own)


def test_wrn_prenorm_reads_the_last_stage_before_its_final_bn(tmp_path):
    distiller_ = distiller(tmp_path, wrn_classifier(), distill_losses=dict(
        loss_tap=recording(a=['teacher.prenorm_feats.2', 'teacher.feats.2'],
                           b='teacher.preact_feats.2')))
    x = torch.randn(4, 3, 32, 32)
    distiller_.eval()
    distiller_(x, samples(LABELS), mode='loss')
    call = distiller_.distill_losses.loss_tap.calls[-1]
    prenorm, post = call['a']
    final_bn = distiller_.teacher.backbone.final_bn
    with torch.no_grad():
        torch.testing.assert_close(call['b'], final_bn(prenorm))
        torch.testing.assert_close(post, final_bn(prenorm).clamp(min=0))


@pytest.mark.parametrize('model, name, message', [
    (dict(cifar_classifier(), backbone=dict(type='MobileNetV2',
                                            widen_factor=0.25)),
     'teacher.preact_feats.1',
     'loss_tap reads teacher.preact_feats.1, but MobileNetV2 has no '
     'preact_feats taps; it has feats.<i> (pre-activation taps'),
    (cifar_classifier(), 'student.prenorm_feats.0',
     'loss_tap reads student.prenorm_feats.0, but CIFARResNet has no '
     'prenorm_feats taps; it has feats.<i>, preact_feats.<i>'),
    (cifar_classifier(), 'student.preact_feats.3',
     'loss_tap reads student.preact_feats.3, but CIFARResNet has '
     'preact_feats stages 0-2 (0: 4x32x32, 1: 8x16x16, 2: 16x8x8'),
])
def test_a_missing_preact_tap_fails_at_build_naming_the_backbone(
        tmp_path, model, name, message):
    if model['backbone']['type'] == 'MobileNetV2':
        model['head']['in_channels'] = 1280
    with pytest.raises(ValueError) as error:
        distiller(tmp_path, model,
                  distill_losses=dict(loss_tap=recording(a=name)))
    assert message in str(error.value)


@pytest.mark.parametrize('name', ['student.preact_feats',
                                  'student.preact_feats.01',
                                  'student.prenorm_feats',
                                  'student.preact.1'])
def test_malformed_preact_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match='unknown input name'):
        distiller(tmp_path, cifar_classifier(),
                  distill_losses=dict(loss_tap=recording(a=name)))
