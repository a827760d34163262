"""SingleTeacherDistiller.forward: views, named inputs and logged terms."""
import pytest
import torch
import torch.nn.functional as F
from distill_helpers import (
    KD_LOSS,
    WIDTH,
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)
from torch import nn

from vrm_mm.models.losses import dkd_loss, kd_loss
from vrm_mm.registry import MODELS

LABELS = [0, 1, 2, 0]


@MODELS.register_module()
class DistillerRecordingLoss(nn.Module):
    """Records what it receives; loss = loss_weight * mean(a^2)."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.calls = []

    def forward(self, a, b=None, c=None):
        self.calls.append(dict(
            a=a, b=b, c=c, autocast=torch.is_autocast_enabled('cpu')))
        return self.loss_weight * a.pow(2).mean()


@MODELS.register_module()
class DistillerStatsLoss(nn.Module):
    """Returns a loss term and statistics."""

    def __init__(self, stat_name: str = 'edges_kept') -> None:
        super().__init__()
        self.stat_name = stat_name

    def forward(self, preds):
        return {'loss_main': preds.pow(2).mean(),
                self.stat_name: preds.sum(), 'edges_pruned': 3}


def recording(**inputs) -> dict:
    return dict(type='DistillerRecordingLoss', inputs=inputs)


@pytest.fixture
def ckpt(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path, seed=3)
    return path


def views(num: int = 2, size: int = 8) -> list:
    torch.manual_seed(0)
    return [torch.randn(4, 3, size, size) for _ in range(num)]


def test_every_term_is_logged_with_its_value(ckpt):
    distill_losses = dict(
        loss_kd=dict(KD_LOSS),
        loss_dkd=dict(type='DKDLoss', loss_weight=2.0, inputs=dict(
            preds_S='student.logits', preds_T='teacher.logits',
            gt_label='gt_label')),
        loss_rkd=dict(type='RKDLoss', inputs=dict(
            feats_S='connectors.proj', feats_T='teacher.pre_logits')))
    connectors = dict(proj=dict(type='LinearConnector', in_channels=WIDTH,
                                out_channels=8, input='student.pre_logits'))
    distiller = build(distiller_cfg(
        ckpt, distill_losses=distill_losses, connectors=connectors))
    x = views(1)[0]
    losses = distiller(x, samples(LABELS), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_kd', 'loss_dkd', 'loss_rkd'}
    logits_S = distiller.student(x, mode='tensor')
    logits_T = distiller.teacher(x, mode='tensor')
    labels = torch.tensor(LABELS)
    torch.testing.assert_close(losses['loss_cls'],
                               0.1 * F.cross_entropy(logits_S, labels))
    torch.testing.assert_close(losses['loss_kd'],
                               0.9 * kd_loss(logits_S, logits_T, 4.0))
    torch.testing.assert_close(losses['loss_dkd'],
                               2.0 * dkd_loss(logits_S, logits_T, labels))
    assert losses['loss_rkd'].requires_grad
    sum(losses.values()).backward()
    assert distiller.connectors.proj.fc.weight.grad is not None


def test_student_loss_weight_zero_skips_cross_entropy(ckpt):
    distiller = build(distiller_cfg(ckpt, student_loss_weight=0.0))
    losses = distiller(views(1)[0], samples(LABELS), mode='loss')
    assert set(losses) == {'loss_kd'}


def test_dict_results_merge_terms_and_detached_statistics(ckpt):
    stats = dict(type='DistillerStatsLoss',
                 inputs=dict(preds='student.logits'))
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_stats=stats)))
    losses = distiller(views(1)[0], samples(LABELS), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_main', 'edges_kept',
                           'edges_pruned'}
    assert losses['loss_main'].requires_grad
    assert not losses['edges_kept'].requires_grad
    assert losses['edges_pruned'].dtype == torch.float32
    total, log_vars = distiller.parse_losses(losses)
    torch.testing.assert_close(total,
                               losses['loss_cls'] + losses['loss_main'])
    assert log_vars['edges_pruned'] == 3.0


def test_statistic_named_like_a_loss_is_refused(ckpt):
    stats = dict(type='DistillerStatsLoss', stat_name='vrm_loss_edges',
                 inputs=dict(preds='student.logits'))
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_stats=stats)))
    with pytest.raises(ValueError, match="statistic 'vrm_loss_edges'"):
        distiller(views(1)[0], samples(LABELS), mode='loss')


def test_duplicate_term_names_are_refused(ckpt):
    stats = dict(type='DistillerStatsLoss',
                 inputs=dict(preds='student.logits'))
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_one=stats, loss_two=dict(stats))))
    with pytest.raises(ValueError, match="'loss_main'"):
        distiller(views(1)[0], samples(LABELS), mode='loss')


def test_two_views_give_virtual_inputs_from_separate_passes(ckpt):
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_rec=recording(a='student.logits_virtual',
                           b='teacher.logits_virtual',
                           c='student.feats'))))
    x = views(2)
    bn = distiller.student.backbone.bn1
    before = int(bn.num_batches_tracked)
    distiller(x, samples(LABELS), mode='loss')
    # one BatchNorm update per view: the views were separate passes
    assert int(bn.num_batches_tracked) == before + 2
    call = distiller.distill_losses.loss_rec.calls[-1]
    torch.testing.assert_close(call['a'],
                               distiller.student(x[1], mode='tensor'))
    torch.testing.assert_close(call['b'],
                               distiller.teacher(x[1], mode='tensor'))
    assert call['c'].shape == (4, WIDTH, 2, 2)


def test_third_view_is_named_virtual2(ckpt):
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_rec=recording(a='student.pre_logits_virtual2'))))
    x = views(3)
    distiller(x, samples(LABELS), mode='loss')
    call = distiller.distill_losses.loss_rec.calls[-1]
    feats = distiller.student.extract_feat(x[2])
    torch.testing.assert_close(call['a'],
                               distiller.student.head.pre_logits(feats))


@pytest.mark.parametrize('norm,train', [('BN', False), ('GN', True)])
def test_joint_forward_equals_separate_without_batch_statistics(
        tmp_path, norm, train):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path, tiny_classifier(norm=norm))
    results = {}
    for joint in (False, True):
        torch.manual_seed(0)
        distiller = build(distiller_cfg(
            path, student=tiny_classifier(norm=norm),
            teacher=tiny_classifier(norm=norm), joint_view_forward=joint,
            distill_losses=dict(loss_rec=recording(
                a='student.logits_virtual', b='teacher.pre_logits',
                c='student.logits'))))
        distiller.train(train)
        losses = distiller(views(2), samples(LABELS), mode='loss')
        results[joint] = (losses, distiller.distill_losses.loss_rec.calls[-1])
    for key in ('a', 'b', 'c'):
        torch.testing.assert_close(results[True][1][key],
                                   results[False][1][key])
    torch.testing.assert_close(results[True][0]['loss_cls'],
                               results[False][0]['loss_cls'])


def test_joint_forward_is_one_batch_norm_pass(ckpt):
    distiller = build(distiller_cfg(
        ckpt, joint_view_forward=True,
        distill_losses=dict(loss_rec=recording(a='student.logits_virtual'))))
    bn = distiller.student.backbone.bn1
    distiller(views(2), samples(LABELS), mode='loss')
    assert int(bn.num_batches_tracked) == 1


def test_losses_run_in_float32_without_autocast(ckpt):
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_rec=recording(a='student.logits', b='gt_label'))))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert distiller.student(views(1)[0]).dtype == torch.bfloat16
        distiller(views(1)[0], samples(LABELS), mode='loss')
    call = distiller.distill_losses.loss_rec.calls[-1]
    assert call['a'].dtype == torch.float32
    assert call['b'].dtype == torch.int64
    assert call['b'].tolist() == LABELS
    assert not call['autocast']


def count_teacher_calls(distiller) -> list:
    calls = []
    distiller.teacher.register_forward_hook(
        lambda *args: calls.append(1))
    distiller.teacher.backbone.register_forward_hook(
        lambda *args: calls.append(1))
    return calls


def test_predict_and_tensor_modes_run_the_student_alone(ckpt):
    distiller = build(distiller_cfg(ckpt)).eval()
    calls = count_teacher_calls(distiller)
    x = views(1)[0]
    torch.testing.assert_close(distiller(x), distiller.student(x))
    predictions = distiller(x, samples(LABELS), mode='predict')
    expected = distiller.student(x, samples(LABELS), mode='predict')
    for got, want in zip(predictions, expected):
        torch.testing.assert_close(got.pred_score, want.pred_score)
    # a multi-view batch predicts from view 0
    torch.testing.assert_close(distiller([x, x + 1]), distiller.student(x))
    assert not calls


def test_teacher_not_run_when_no_loss_reads_it(ckpt):
    distiller = build(distiller_cfg(ckpt, distill_losses=dict()))
    calls = count_teacher_calls(distiller)
    losses = distiller(views(1)[0], samples(LABELS), mode='loss')
    assert set(losses) == {'loss_cls'} and not calls


def test_predict_teacher_uses_the_teacher(ckpt):
    distiller = build(distiller_cfg(ckpt))
    x = views(1)[0]
    predictions = distiller.predict_teacher(x, samples(LABELS))
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in predictions]),
        distiller.teacher(x).softmax(dim=1))
