"""Properties every baseline distillation loss shares."""
import pytest
import torch

from vrm_mm.registry import MODELS

BASELINES = ['KDLoss', 'DKDLoss', 'DISTLoss', 'RKDLoss', 'SPLoss', 'PKTLoss',
             'CCLoss', 'FitNetLoss', 'ATLoss']
# relation losses and their feature argument names
RELATIONS = {'RKDLoss': 'feats', 'SPLoss': 'feats', 'PKTLoss': 'feats',
             'CCLoss': 'emb'}
# feature-map losses: B x D rows are read as B x 1 x 2 x D/2 maps
FEATURE_MAPS = ('FitNetLoss', 'ATLoss')


def loss_inputs(loss_type, student, teacher):
    """Keyword inputs of ``loss_type`` for one student/teacher pair."""
    if loss_type in FEATURE_MAPS:
        return {f'feats_{side}': x.reshape(len(x), 1, 2, -1)
                for side, x in (('S', student), ('T', teacher))}
    if loss_type in RELATIONS:
        name = RELATIONS[loss_type]
        return {f'{name}_S': student, f'{name}_T': teacher}
    inputs = dict(preds_S=student, preds_T=teacher)
    if loss_type == 'DKDLoss':
        inputs['gt_label'] = torch.arange(len(student)) % student.shape[1]
    return inputs


def same_relations(loss_type, student):
    """A teacher that matches the student exactly, for ``loss_type``."""
    teacher = student.detach().clone()
    if loss_type in RELATIONS:  # relations survive rotation and scale
        width = student.shape[1]
        rotation, _ = torch.linalg.qr(torch.randn(width, width))
        teacher = 2.5 * teacher @ rotation
        if loss_type == 'RKDLoss':  # and RKD's a shift
            teacher = teacher + 1.0
    return teacher


@pytest.mark.parametrize('loss_type', BASELINES)
def test_registered_weighted_and_float32(loss_type):
    torch.manual_seed(0)
    student, teacher = torch.randn(5, 6), torch.randn(5, 6)
    inputs = loss_inputs(loss_type, student, teacher)
    unit = MODELS.build(dict(type=loss_type, loss_weight=1.0))
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
    loss = MODELS.build(dict(type=loss_type, loss_weight=1.0))(
        **loss_inputs(loss_type, student, teacher))
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-5)
    assert student.grad.abs().max().item() < 1e-4


# CC trains the teacher's embedding connector too (test_cc.py)
@pytest.mark.parametrize('loss_type',
                         [loss for loss in BASELINES if loss != 'CCLoss'])
def test_gradient_reaches_student_only(loss_type):
    student = torch.randn(6, 10, requires_grad=True)
    teacher = torch.randn(6, 10, requires_grad=True)
    MODELS.build(dict(type=loss_type))(
        **loss_inputs(loss_type, student, teacher)).backward()
    assert student.grad.abs().sum() > 0
    assert teacher.grad is None


@pytest.mark.parametrize('loss_type', ['SPLoss', 'PKTLoss', 'CCLoss'])
def test_relation_losses_pass_gradcheck(loss_type):
    """Analytic and numerical gradients agree (float64 stays float64)."""
    torch.manual_seed(2)
    teacher = torch.randn(4, 5, dtype=torch.float64)
    loss = MODELS.build(dict(type=loss_type, loss_weight=1.0))
    assert torch.autograd.gradcheck(
        lambda student: loss(**loss_inputs(loss_type, student, teacher)),
        torch.randn(4, 5, dtype=torch.float64, requires_grad=True))
