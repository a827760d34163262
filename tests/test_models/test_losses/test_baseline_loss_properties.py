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
    # relations survive rotation and scale; CC's released form compares the
    # two embeddings sample by sample, so only an equal one matches it
    if loss_type in RELATIONS and loss_type != 'CCLoss':
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


def loss_at_identity(loss_type, student):
    """0, except for DIST: its released Pearson correlation adds eps = 1e-8
    to the product of the norms, so identical rows (columns) with centred
    norm ``n`` correlate ``n^2 / (n^2 + eps) < 1`` (default tau 4,
    beta = gamma = 1)."""
    if loss_type != 'DISTLoss':
        return 0.0
    probs = torch.softmax(student.detach().double() / 4.0, dim=1)

    def gap(p):
        sq_norm = (p - p.mean(1, keepdim=True)).pow(2).sum(1)
        return 1 - (sq_norm / (sq_norm + 1e-8)).mean().item()

    return 16 * (gap(probs) + gap(probs.t()))


@pytest.mark.parametrize('loss_type', BASELINES)
def test_identical_targets_give_zero_loss_and_gradient(loss_type):
    torch.manual_seed(1)
    student = torch.randn(6, 10, requires_grad=True)
    teacher = same_relations(loss_type, student)
    loss = MODELS.build(dict(type=loss_type, loss_weight=1.0))(
        **loss_inputs(loss_type, student, teacher))
    loss.backward()
    assert loss.item() == pytest.approx(loss_at_identity(loss_type, student),
                                        abs=1e-5)
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
