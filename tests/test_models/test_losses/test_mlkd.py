import math

import numpy as np
import pytest
import torch
from distill_helpers import build, distiller_cfg, samples, save_teacher

from vrm_mm.models.losses import MLKDLoss, mlkd_loss
from vrm_mm.utils.errors import DistillDataError

TERMS = ('loss_mlkd_instance', 'loss_mlkd_batch', 'loss_mlkd_class')


def softmax(row, t=1.0):
    exp = [math.exp(v / t) for v in row]
    return [e / sum(exp) for e in exp]


def standardize(row, eps=1e-7):
    mean = sum(row) / len(row)
    var = sum((v - mean)**2 for v in row) / len(row)
    return [(v - mean) / math.sqrt(var + eps) for v in row]


def gram_rows(p_s, p_t):
    """sum_j ((P_T P_T^T - P_S P_S^T)_ij)^2 for each row i, by loops."""
    n, width = len(p_s), len(p_s[0])
    rows = []
    for i in range(n):
        total = 0.0
        for j in range(n):
            g_s = sum(p_s[i][k] * p_s[j][k] for k in range(width))
            g_t = sum(p_t[i][k] * p_t[j][k] for k in range(width))
            total += (g_t - g_s)**2
        rows.append(total)
    return rows


def transpose(p):
    return [list(col) for col in zip(*p)]


def mlkd_reference(s_w, s_s, t_w, t_s, temperatures, percentile,
                   strong_relations=False, ls=False):
    """Float64 MLKD from the formula, sample by sample (numpy percentile)."""
    s_w, s_s, t_w, t_s = (x.double().tolist() for x in (s_w, s_s, t_w, t_s))
    q = [softmax(row) for row in t_w]
    conf = [max(row) for row in q]
    keep = [float(c <= np.percentile(conf, percentile)) for c in conf]
    class_conf = [sum(col) for col in transpose(q)]
    keep_c = [float(c <= np.percentile(class_conf, percentile))
              for c in class_conf]
    norm = standardize if ls else (lambda row: row)
    batch, classes = len(s_w), len(s_w[0])
    instance = rel_b = rel_c = 0.0
    for t in temperatures:
        for s_view, t_view, mask in ((s_w, t_w, keep), (s_s, t_s, None)):
            for i in range(batch):
                p_s = softmax(norm(s_view[i]), t)
                p_t = softmax(norm(t_view[i]), t)
                kl = sum(a * math.log(a / b) for a, b in zip(p_t, p_s))
                instance += t**2 * kl * (1 if mask is None else mask[i]) / \
                    batch
        views = [(s_w, t_w, keep, keep_c)]
        if strong_relations:
            views.append((s_s, t_s, [1.0] * batch, [1.0] * classes))
        for s_view, t_view, rows, cols in views:
            p_s = [softmax(row, t) for row in s_view]
            p_t = [softmax(row, t) for row in t_view]
            rel_b += sum(m * r for m, r in zip(rows, gram_rows(p_s, p_t))) \
                / batch
            rel_c += sum(m * r for m, r in zip(
                cols, gram_rows(transpose(p_s), transpose(p_t)))) / classes
    return instance, rel_b, rel_c, sum(keep) / batch


def logits(seed, batch=6, classes=5):
    torch.manual_seed(seed)
    return [torch.randn(batch, classes, dtype=torch.float64) * 3
            for _ in range(4)]


@pytest.mark.parametrize('temperatures,percentile,strong,ls', [
    ((2.0, 3.0, 4.0, 5.0, 6.0), 50.0, False, False),
    ((1.0, 4.0), 30.0, True, False),
    ((2.0, 3.0), 50.0, False, True),
])
def test_mlkd_matches_float64_reference(temperatures, percentile, strong,
                                        ls):
    views = logits(0)
    out = mlkd_loss(*views, temperatures=temperatures,
                    mask_percentile=percentile, strong_relations=strong,
                    logit_standardization=ls)
    expected = mlkd_reference(*views, temperatures, percentile, strong, ls)
    for key, value in zip((*TERMS, 'mlkd_kept'), expected):
        assert abs(out[key].item() - value) <= 1e-6 * max(1, abs(value)), key


def test_mlkd_by_hand():
    # student uniform, teacher [3/4, 1/4] and [1/4, 3/4], T = 1, all kept:
    # G^S = M^S = 1/2 everywhere, G^T = M^T = [[5/8, 3/8], [3/8, 5/8]], so
    # each relation term is 4 * (1/8)^2 / 2 = 1/32; the instance term is
    # KL([3/4, 1/4] || [1/2, 1/2]) on each of the two (equal) views.
    student = torch.zeros(2, 2)
    teacher = torch.tensor([[math.log(3.0), 0.0], [0.0, math.log(3.0)]])
    out = mlkd_loss(student, student, teacher, teacher, temperatures=(1.0, ),
                    mask_percentile=100.0)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert out['loss_mlkd_instance'].item() == pytest.approx(2 * kl)
    assert out['loss_mlkd_batch'].item() == pytest.approx(1 / 32)
    assert out['loss_mlkd_class'].item() == pytest.approx(1 / 32)
    assert out['mlkd_kept'].item() == 1.0


def test_mask_keeps_the_less_confident_half_on_the_weak_view():
    # teacher confidences rise with the row: rows 0, 1 kept, rows 2, 3 not
    t_weak = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    s_weak = torch.randn(4, 2, requires_grad=True)
    s_strong = torch.randn(4, 2, requires_grad=True)
    out = mlkd_loss(s_weak, s_strong, t_weak, t_weak.clone(),
                    temperatures=(4.0, ))
    assert out['mlkd_kept'].item() == 0.5
    out['loss_mlkd_instance'].backward()
    assert torch.all(s_weak.grad[2:] == 0) and torch.all(s_weak.grad[:2] != 0)
    assert torch.all(s_strong.grad != 0)  # the strong view is not masked


def test_zero_when_student_equals_teacher_and_teacher_gets_no_gradient():
    s_w, s_s, _, _ = logits(1, batch=4)
    t_w = s_w.detach().clone().requires_grad_()
    t_s = s_s.detach().clone().requires_grad_()
    s_w.requires_grad_()
    out = mlkd_loss(s_w, s_s, t_w, t_s, strong_relations=True)
    for key in TERMS:
        assert abs(out[key].item()) < 1e-12, key
    torch.manual_seed(2)
    s_w2 = torch.randn(4, 5, requires_grad=True)
    out = mlkd_loss(s_w2, s_s, t_w, t_s)
    sum(out[key] for key in TERMS).backward()
    assert s_w2.grad.abs().sum() > 0
    assert t_w.grad is None and t_s.grad is None


def test_standardisation_makes_instance_term_shift_and_scale_invariant():
    s_w, s_s, t_w, t_s = logits(3)
    base = mlkd_loss(s_w, s_s, t_w, t_s, logit_standardization=True)
    moved = mlkd_loss(s_w * 2 + 1, s_s * 3 - 2, t_w, t_s,
                      logit_standardization=True)
    assert moved['loss_mlkd_instance'].item() == pytest.approx(
        base['loss_mlkd_instance'].item(), rel=1e-6)


def test_module_weights_and_virtual_cross_entropy():
    s_w, s_s, t_w, t_s = (x.float() for x in logits(4))
    label = torch.tensor([0, 1, 2, 3, 4, 0])
    raw = mlkd_loss(s_w, s_s, t_w, t_s)
    out = MLKDLoss(loss_weight=0.9, virtual_ce_weight=0.1)(s_w, s_s, t_w,
                                                           t_s, label)
    for key in TERMS:
        torch.testing.assert_close(out[key], 0.9 * raw[key])
    torch.testing.assert_close(
        out['loss_mlkd_virtual_ce'],
        0.1 * torch.nn.functional.cross_entropy(s_s, label))
    assert 'loss_mlkd_virtual_ce' not in MLKDLoss(virtual_ce_weight=0)(
        s_w, s_s, t_w, t_s)


def test_bad_inputs_name_the_fix():
    s_w, s_s, t_w, t_s = (x.float() for x in logits(5))
    loss = MLKDLoss()
    with pytest.raises(ValueError, match='two-view dataset pipeline'):
        loss(s_w, None, t_w, None)
    with pytest.raises(ValueError, match='two-view dataset pipeline'):
        loss(s_w, s_w, t_w, t_w)  # the real view wired as the strong one
    with pytest.raises(ValueError, match="gt_label='gt_label'"):
        loss(s_w, s_s, t_w, t_s)
    with pytest.raises(ValueError, match='at least 2 samples'):
        mlkd_loss(s_w[:1], s_s[:1], t_w[:1], t_s[:1])
    with pytest.raises(ValueError, match='same images'):
        mlkd_loss(s_w, s_s[:3], t_w, t_s)
    with pytest.raises(ValueError, match='mask_percentile'):
        mlkd_loss(s_w, s_s, t_w, t_s, mask_percentile=150)
    with pytest.raises(ValueError, match='positive temperatures'):
        MLKDLoss(temperatures=(0.0, 4.0))


def test_distiller_given_one_view_batch_names_the_two_view_pipeline(
        tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt)
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_mlkd=dict(type='MLKDLoss', inputs=dict(
            s_weak='student.logits', s_strong='student.logits_virtual',
            t_weak='teacher.logits', t_strong='teacher.logits_virtual',
            gt_label='gt_label')))))
    with pytest.raises(DistillDataError, match='RealVirtualViews'):
        distiller.loss(torch.rand(4, 3, 8, 8), samples([0, 1, 2, 0]))
    losses = distiller.loss([torch.rand(4, 3, 8, 8)] * 2,
                            samples([0, 1, 2, 0]))
    assert {*TERMS, 'loss_mlkd_virtual_ce', 'mlkd_kept'} <= set(losses)
