"""Properties every baseline distillation loss shares."""
import pytest
import torch

from vrm_mm.registry import MODELS

BASELINES = ['KDLoss', 'DKDLoss', 'DISTLoss', 'RKDLoss']


def loss_inputs(loss_type, student, teacher):
    """Keyword inputs of ``loss_type`` for one student/teacher pair."""
    if loss_type == 'RKDLoss':
        return dict(feats_S=student, feats_T=teacher)
    inputs = dict(preds_S=student, preds_T=teacher)
    if loss_type == 'DKDLoss':
        inputs['gt_label'] = torch.arange(len(student)) % student.shape[1]
    return inputs


def same_relations(loss_type, student):
    """A teacher that matches the student exactly, for ``loss_type``."""
    teacher = student.detach().clone()
    if loss_type == 'RKDLoss':  # relations survive rotation, scale, shift
        width = student.shape[1]
        rotation, _ = torch.linalg.qr(torch.randn(width, width))
        teacher = 2.5 * teacher @ rotation + 1.0
    return teacher


@pytest.mark.parametrize('loss_type', BASELINES)
def test_registered_weighted_and_float32(loss_type):
    torch.manual_seed(0)
    student, teacher = torch.randn(5, 6), torch.randn(5, 6)
    inputs = loss_inputs(loss_type, student, teacher)
    unit = MODELS.build(dict(type=loss_type))
    weighted = MODELS.build(dict(type=loss_type, loss_weight=0.3))
    assert type(unit).__name__ == loss_type
    assert unit(**inputs).item() > 0
    assert weighted(**inputs).item() == pytest.approx(
        0.3 * unit(**inputs).item(), rel=1e-6)
    half = loss_inputs(loss_type, student.half(), teacher.half())
    assert unit(**half).dtype == torch.float32


@pytest.mark.parametrize('loss_type', BASELINES)
def test_identical_targets_give_zero_loss_and_gradient(loss_type):
    torch.manual_seed(1)
    student = torch.randn(6, 10, requires_grad=True)
    teacher = same_relations(loss_type, student)
    loss = MODELS.build(dict(type=loss_type))(
        **loss_inputs(loss_type, student, teacher))
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-5)
    assert student.grad.abs().max().item() < 1e-4


@pytest.mark.parametrize('loss_type', BASELINES)
def test_gradient_reaches_student_only(loss_type):
    student = torch.randn(6, 10, requires_grad=True)
    teacher = torch.randn(6, 10, requires_grad=True)
    MODELS.build(dict(type=loss_type))(
        **loss_inputs(loss_type, student, teacher)).backward()
    assert student.grad.abs().sum() > 0
    assert teacher.grad is None
