import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from distill_helpers import build, distiller_cfg, samples, save_teacher

from vrm_mm.models.losses import MLKDLoss, mlkd_loss
from vrm_mm.utils.errors import DistillDataError

TERMS = ('loss_mlkd_instance', 'loss_mlkd_batch', 'loss_mlkd_class')
PAPER_VIEWS = ('strong', ) * 5


# --- a float64 transcription of the released KD_ours.forward_train
# (github.com/Jin-Ying/Multi-Level-Logit-Distillation,
# mdistiller/distillers/KD_ours.py:13-47, 96-254), and of LSKD's MLKD.py
# (github.com/sunshangquan/logit-standardization-KD,
# mdistiller/distillers/MLKD.py:12-28: the instance terms on z-scored logits).

def released_zscore(z):
    # MLKD.py:12-15: the n-1 standard deviation, 1e-7 outside the root
    return (z - z.mean(-1, keepdim=True)) / (1e-7 + z.std(-1, keepdim=True))


def released_kd(z_s, z_t, t, ls=False):
    if ls:
        z_s, z_t = released_zscore(z_s), released_zscore(z_t)
    divergence = F.kl_div(F.log_softmax(z_s / t, dim=1),
                          F.softmax(z_t / t, dim=1), reduction='none')
    return divergence.sum(1).mean() * t**2


def released_class_relation(z_s, z_t, t):
    p_s, p_t = F.softmax(z_s / t, dim=1), F.softmax(z_t / t, dim=1)
    return ((p_t.T @ p_t - p_s.T @ p_s)**2).sum() / z_t.shape[1]


def released_batch_relation(z_s, z_t, t):
    p_s, p_t = F.softmax(z_s / t, dim=1), F.softmax(z_t / t, dim=1)
    return ((p_t @ p_t.T - p_s @ p_s.T)**2).sum() / z_t.shape[0]


def released_mlkd(s_w, s_s, t_w, t_s, base_t=4.0, kd_weight=1.0, ls=False):
    """(loss_kd, loss_bc, loss_cc) of KD_ours, the masks from numpy."""
    q = F.softmax(t_w, dim=1)
    conf = q.max(dim=1).values
    mask = conf.le(float(np.percentile(conf.numpy(), 50)))
    class_conf = q.sum(0)
    class_mask = class_conf.le(float(np.percentile(class_conf.numpy(), 50)))
    weak_temps = (base_t, 3.0, 5.0, 2.0, 6.0)
    kd_weak = sum(kd_weight * (released_kd(s_w, t_w, t, ls) * mask).mean()
                  for t in weak_temps)
    kd_strong = sum(kd_weight * released_kd(s_s, t_s, t, ls)
                    for t in (base_t, 3.0, 5.0))
    kd_strong = kd_strong + sum(kd_weight * released_kd(s_w, t_w, t, ls)
                                for t in (2.0, 6.0))
    cc = sum(kd_weight * (released_class_relation(s_w, t_w, t) *
                          class_mask).mean() for t in weak_temps)
    bc = sum(kd_weight * (released_batch_relation(s_w, t_w, t) *
                          mask).mean() for t in weak_temps)
    return kd_weak + kd_strong, bc, cc


def logits(seed, batch=6, classes=5, grad=False):
    torch.manual_seed(seed)
    views = [torch.randn(batch, classes, dtype=torch.float64) * 3
             for _ in range(4)]
    if grad:
        for view in views[:2]:
            view.requires_grad_()
    return views


def value_and_grads(term, inputs):
    """The term and its gradients (zeros where it does not use an input)."""
    grads = torch.autograd.grad(term, inputs, retain_graph=True,
                                allow_unused=True,
                                materialize_grads=True)
    return [term.detach()] + [g.detach() for g in grads]


@pytest.mark.parametrize('base_t,ls', [(4.0, False), (1.0, False),
                                       (2.0, True)])
def test_default_equals_released_code_in_value_and_gradient(base_t, ls):
    # CIFAR-100 (base temperature 4), ImageNet (1) and LSKD (2, z-scores)
    s_w, s_s, t_w, t_s = logits(0, batch=8, classes=10, grad=True)
    released = released_mlkd(s_w, s_s, t_w, t_s, base_t, ls=ls)
    ours = mlkd_loss(s_w, s_s, t_w, t_s,
                     temperatures=(base_t, 3.0, 5.0, 2.0, 6.0),
                     logit_standardization=ls)
    for key, expected in zip(TERMS, released):
        got = value_and_grads(ours[key], (s_w, s_s))
        want = value_and_grads(expected, (s_w, s_s))
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9,
                                       msg=key)


def test_module_defaults_are_the_released_cifar_setting():
    s_w, s_s, t_w, t_s = logits(1, batch=8, classes=10, grad=True)
    label = torch.arange(8) % 10
    out = MLKDLoss()(s_w, s_s, t_w, t_s, label)
    kd, bc, cc = released_mlkd(s_w, s_s, t_w, t_s, 4.0, kd_weight=0.9)
    ours_total = sum(out[key] for key in TERMS)
    released_total = kd + bc + cc
    for a, b in zip(value_and_grads(ours_total, (s_w, s_s)),
                    value_and_grads(released_total, (s_w, s_s))):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9)
    # KD_ours.py:114: ce_weight * CE on the strong view (the weak view's is
    # the distiller's student_loss_weight)
    torch.testing.assert_close(out['loss_mlkd_virtual_ce'],
                               0.1 * F.cross_entropy(s_s, label))


def test_masking_by_hand():
    # student uniform; teacher [3/4, 1/4] (confident) and [1/2, 1/2]:
    # threshold 5/8 keeps row 1 only, kept share 1/2. Class confidences
    # 5/4 and 3/4: class 1 kept. T = 1, both views equal.
    # G^T - G^S = [[1/8, 0], [0, 0]]: row sums of squares 1/64, 0.
    # M^T - M^S = [[5/16, -1/16], [-1/16, -3/16]]: 26/256, 10/256.
    student = torch.zeros(2, 2, dtype=torch.float64)
    teacher = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]],
                           dtype=torch.float64)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    expected = {
        # mean(KL) * 1/2 on the weak view + mean(KL) on the strong one
        'released': (kl / 4 + kl / 2, (1 / 64 / 2) / 2, (36 / 256 / 2) / 2),
        # only row 1 (KL 0) and class 1 count on the weak view
        'per_sample': (kl / 2, 0.0, (10 / 256) / 2),
    }
    for masking, (instance, batch, classes) in expected.items():
        out = mlkd_loss(student, student, teacher, teacher,
                        temperatures=(1.0, ), strong_term_views=('strong', ),
                        masking=masking)
        assert out['loss_mlkd_instance'].item() == pytest.approx(instance)
        assert out['loss_mlkd_batch'].item() == pytest.approx(batch)
        assert out['loss_mlkd_class'].item() == pytest.approx(classes)
        assert out['mlkd_kept'].item() == 0.5


def test_all_kept_by_hand():
    # teacher [3/4, 1/4] and [1/4, 3/4], all kept: G^S = M^S = 1/2,
    # G^T = M^T = [[5/8, 3/8], [3/8, 5/8]], each relation 4 (1/8)^2 / 2
    student = torch.zeros(2, 2)
    teacher = torch.tensor([[math.log(3.0), 0.0], [0.0, math.log(3.0)]])
    for masking in ('released', 'per_sample'):
        out = mlkd_loss(student, student, teacher, teacher,
                        temperatures=(1.0, ), strong_term_views=('weak', ),
                        masking=masking, mask_percentile=100.0)
        kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
        assert out['loss_mlkd_instance'].item() == pytest.approx(2 * kl)
        assert out['loss_mlkd_batch'].item() == pytest.approx(1 / 32)
        assert out['loss_mlkd_class'].item() == pytest.approx(1 / 32)
        assert out['mlkd_kept'].item() == 1.0


def test_per_sample_masking_leaves_confident_samples_out():
    # teacher confidences rise with the row: rows 0, 1 kept, rows 2, 3 not
    t_weak = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    for masking, confident_grad in (('per_sample', False),
                                    ('released', True)):
        s_weak = torch.randn(4, 2, requires_grad=True)
        s_strong = torch.randn(4, 2, requires_grad=True)
        out = mlkd_loss(s_weak, s_strong, t_weak, t_weak.clone(),
                        temperatures=(4.0, ), strong_term_views=('strong', ),
                        masking=masking)
        assert out['mlkd_kept'].item() == 0.5
        out['loss_mlkd_instance'].backward()
        assert bool(torch.all(s_weak.grad[2:] != 0)) == confident_grad
        assert torch.all(s_weak.grad[:2] != 0)
        assert torch.all(s_strong.grad != 0)  # the strong view: no mask


def test_strong_term_views_choose_the_view():
    # B = 6, percentile 50: 3 samples kept, the masked weak term is half
    # the weak batch mean
    s_w, s_s, t_w, t_s = logits(2)
    weak_kl = released_kd(s_w, t_w, 3.0)
    for view, unmasked in (('weak', weak_kl),
                           ('strong', released_kd(s_s, t_s, 3.0))):
        out = mlkd_loss(s_w, s_s, t_w, t_s, temperatures=(3.0, ),
                        strong_term_views=(view, ))
        assert out['mlkd_kept'].item() == 0.5
        torch.testing.assert_close(out['loss_mlkd_instance'],
                                   weak_kl / 2 + unmasked)


def test_strong_relations_add_unmasked_strong_view_terms():
    s_w, s_s, t_w, t_s = logits(3)
    base = mlkd_loss(s_w, s_s, t_w, t_s, temperatures=(2.0, ),
                     strong_term_views=('strong', ))
    more = mlkd_loss(s_w, s_s, t_w, t_s, temperatures=(2.0, ),
                     strong_term_views=('strong', ), strong_relations=True)
    extra_b = released_batch_relation(s_s, t_s, 2.0)
    extra_c = released_class_relation(s_s, t_s, 2.0)
    torch.testing.assert_close(more['loss_mlkd_batch'],
                               base['loss_mlkd_batch'] + extra_b)
    torch.testing.assert_close(more['loss_mlkd_class'],
                               base['loss_mlkd_class'] + extra_c)


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
    raw = mlkd_loss(s_w, s_s, t_w, t_s, masking='per_sample')
    out = MLKDLoss(loss_weight=0.7, virtual_ce_weight=0.2,
                   masking='per_sample')(s_w, s_s, t_w, t_s, label)
    for key in TERMS:
        torch.testing.assert_close(out[key], 0.7 * raw[key])
    torch.testing.assert_close(
        out['loss_mlkd_virtual_ce'],
        0.2 * torch.nn.functional.cross_entropy(s_s, label))
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
    with pytest.raises(ValueError, match="'released', 'per_sample'"):
        MLKDLoss(masking='paper')
    with pytest.raises(ValueError, match="one view per temperature.*"
                       "'strong', 'weak'"):
        MLKDLoss(strong_term_views=PAPER_VIEWS[:4])
    with pytest.raises(ValueError, match="'strong', 'weak'"):
        mlkd_loss(s_w, s_s, t_w, t_s, temperatures=(4.0, ),
                  strong_term_views=('real', ))


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
