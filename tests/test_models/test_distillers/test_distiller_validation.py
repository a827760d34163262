"""Config mistakes are clear errors when the distiller is built."""
import pytest
import torch
from distill_helpers import (
    KD_LOSS,
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)
from mmengine.model import BaseModel
from torch import nn

from vrm_mm.registry import MODELS


@MODELS.register_module()
class HeadlessTestClassifier(BaseModel):
    """Logits only, like TimmClassifier: no backbone/neck/head split."""

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.model = nn.Linear(3, num_classes)
        self.model.num_classes = num_classes

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.model(inputs.mean(dim=(2, 3)))

    def _get_loss(self, logits, data_samples):
        target = torch.cat([sample.gt_label for sample in data_samples])
        return {'loss': nn.functional.cross_entropy(logits, target)}


@pytest.fixture
def ckpt(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    return path


def kd(**inputs) -> dict:
    return dict(KD_LOSS, inputs=inputs)


def build_error(ckpt, **overrides) -> str:
    with pytest.raises((ValueError, TypeError)) as error:
        build(distiller_cfg(ckpt, **overrides))
    return str(error.value)


def test_unknown_input_name_lists_valid_names(ckpt):
    message = build_error(ckpt, distill_losses=dict(loss_kd=kd(
        preds_S='student.logit', preds_T='teacher.logits')))
    assert "loss_kd.inputs.preds_S: unknown input name 'student.logit'" \
        in message
    assert "Did you mean 'student.logits'" in message
    for name in ('student.pre_logits', 'teacher.feats', 'gt_label',
                 '_virtual2'):
        assert name in message


@pytest.mark.parametrize('name', ['student.logits_virtual1',
                                  'student.logits_virtual0', 'teacher',
                                  'connectors.absent'])
def test_malformed_names_are_rejected(ckpt, name):
    message = build_error(ckpt, distill_losses=dict(
        loss_kd=kd(preds_S=name, preds_T='teacher.logits')))
    assert 'unknown input name' in message


def test_unknown_forward_parameter_lists_parameters(ckpt):
    message = build_error(ckpt, distill_losses=dict(loss_kd=kd(
        pred_S='student.logits', preds_T='teacher.logits')))
    assert "KDLoss.forward has no parameter 'pred_S'" in message
    assert "Did you mean 'preds_S'" in message
    assert 'KDLoss.forward takes preds_S, preds_T' in message


def test_missing_required_parameter(ckpt):
    message = build_error(ckpt, distill_losses=dict(
        loss_kd=kd(preds_S='student.logits')))
    assert "KDLoss.forward needs 'preds_T'" in message


def test_missing_inputs(ckpt):
    message = build_error(ckpt, distill_losses=dict(
        loss_kd=dict(type='KDLoss')))
    assert '`inputs` must be a dict' in message


def test_unregistered_loss_type_suggests(ckpt):
    message = build_error(ckpt, distill_losses=dict(loss_kd=dict(
        KD_LOSS, type='KDLos')))
    assert "'KDLos' is not a registered component" in message
    assert "'KDLoss'" in message


def test_loss_key_must_start_with_loss(ckpt):
    message = build_error(ckpt, distill_losses=dict(kd=dict(KD_LOSS)))
    assert "distill_losses key 'kd'" in message
    message = build_error(ckpt, distill_losses=dict(loss_cls=dict(KD_LOSS)))
    assert "'loss_cls' is the student's own loss" in message


def test_connector_errors(ckpt):
    proj = dict(type='LinearConnector', in_channels=16, out_channels=16)
    rkd = dict(type='RKDLoss', inputs=dict(feats_S='connectors.proj',
                                           feats_T='teacher.pre_logits'))
    losses = dict(loss_rkd=rkd)
    assert 'missing `input`' in build_error(
        ckpt, connectors=dict(proj=proj), distill_losses=losses)
    message = build_error(ckpt, connectors=dict(
        proj=dict(proj, type='LinearConector', input='student.pre_logits')),
        distill_losses=losses)
    assert "Did you mean 'LinearConnector'" in message
    message = build_error(ckpt, connectors=dict(
        proj=dict(proj, input='student.pre_logit')), distill_losses=losses)
    assert "connectors.proj.input: unknown input name" in message
    message = build_error(ckpt, connectors=dict(
        proj=dict(proj, input='student.pre_logits')))
    assert "connectors ['proj'] feed no loss" in message


def test_class_count_mismatch_names_both_counts(tmp_path):
    path = str(tmp_path / 'teacher5.pth')
    save_teacher(path, tiny_classifier(num_classes=5))
    message = build_error(path, teacher=tiny_classifier(num_classes=5))
    assert 'student has 3 classes and the teacher 5' in message
    assert 'loss_kd' in message


def test_class_counts_may_differ_for_feature_losses(tmp_path):
    path = str(tmp_path / 'teacher5.pth')
    save_teacher(path, tiny_classifier(num_classes=5))
    rkd = dict(type='RKDLoss', inputs=dict(feats_S='student.pre_logits',
                                           feats_T='teacher.pre_logits'))
    distiller = build(distiller_cfg(
        path, teacher=tiny_classifier(num_classes=5),
        distill_losses=dict(loss_rkd=rkd)))
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    assert set(losses) == {'loss_cls', 'loss_rkd'}


def test_headless_classifier_gives_logits_only(tmp_path):
    path = str(tmp_path / 'headless.pth')
    save_teacher(path, dict(type='HeadlessTestClassifier'))
    headless = dict(type='HeadlessTestClassifier')
    distiller = build(distiller_cfg(path, student=headless, teacher=headless))
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    assert set(losses) == {'loss_cls', 'loss_kd'}
    rkd = dict(type='RKDLoss', inputs=dict(feats_S='student.pre_logits',
                                           feats_T='teacher.pre_logits'))
    message = build_error(path, student=headless, teacher=headless,
                          distill_losses=dict(loss_rkd=rkd))
    assert 'reads student.pre_logits, which HeadlessTestClassifier does ' \
        'not expose' in message


def test_virtual_view_without_second_view_is_a_clear_error(ckpt):
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(loss_kd=kd(
        preds_S='student.logits_virtual',
        preds_T='teacher.logits_virtual'))))
    with pytest.raises(ValueError) as error:
        distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                  mode='loss')
    assert "'student.logits_virtual' (view 1)" in str(error.value)
    assert 'the batch has 1 view(s)' in str(error.value)


def test_teacher_norm_needs_mean_and_std(ckpt):
    message = build_error(ckpt, teacher_norm=dict(mean=[0, 0, 0]))
    assert 'teacher_norm must be dict(mean=[...], std=[...])' in message
    message = build_error(ckpt, teacher_norm=dict(mean=[0] * 3, std=[1] * 3),
                          data_preprocessor=dict())
    assert 'data preprocessor does not normalise' in message


def test_unregistered_loss_type_says_how_to_register_ones_own(ckpt):
    message = build_error(ckpt, distill_losses=dict(loss_kd=dict(
        KD_LOSS, type='MyCosineLoss')))
    assert "'MyCosineLoss' is not a registered component" in message
    assert ("If 'MyCosineLoss' is your own class, register it with "
            '@MODELS.register_module()') in message
    assert ("custom_imports = dict(imports=['my_package'], "
            'allow_failed_imports=False)') in message
    assert 'docs/tutorials/add_a_loss.md' in message
