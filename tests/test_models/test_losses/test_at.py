"""Attention transfer: the per-stage loss, the stage sum, the distiller."""
import copy
import math

import pytest
import torch
from distill_helpers import (
    base_loss,
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)

from vrm_mm.models.losses import ATLoss, at_loss, attention_map
from vrm_mm.utils.errors import DistillDataError


def attention_reference(feats, p):
    """Float64 attention maps from the formula, with loops: B lists of HW."""
    b, c, h, w = feats.shape
    x = feats.double().tolist()
    maps = []
    for i in range(b):
        q = [sum(abs(x[i][k][r][s])**p for k in range(c)) / c
             for r in range(h) for s in range(w)]
        norm = math.sqrt(sum(v * v for v in q))
        maps.append([v / norm for v in q])
    return maps


def at_reference(feats_S, feats_T, p=2.0):
    a_S, a_T = attention_reference(feats_S, p), attention_reference(
        feats_T, p)
    diffs = [(u - v)**2 for row_S, row_T in zip(a_S, a_T)
             for u, v in zip(row_S, row_T)]
    return sum(diffs) / len(diffs)


def test_attention_map_by_hand():
    # one sample, two channels, 1 x 2: mean of squares per position is
    # (1 + 9) / 2 = 5 and (4 + 0) / 2 = 2, normalised by sqrt(29)
    feats = torch.tensor([[[[1.0, 2.0]], [[-3.0, 0.0]]]])
    expected = torch.tensor([[5.0, 2.0]]) / math.sqrt(29)
    torch.testing.assert_close(attention_map(feats), expected)
    # p = 1: mean of absolute values, 2 and 1, over sqrt(5)
    torch.testing.assert_close(attention_map(feats, p=1.0),
                               torch.tensor([[2.0, 1.0]]) / math.sqrt(5))


def test_at_by_hand():
    # two positions: student activations (1, 0), teacher (0, 2), so
    # a_S = (1, 0) and a_T = (0, 1); squared differences 1 and 1, mean 1
    student = torch.tensor([[[[1.0, 0.0]]]])
    teacher = torch.tensor([[[[0.0, 2.0]]]])
    assert at_loss(student, teacher).item() == pytest.approx(1.0)
    # equal maps up to scale and channel count give zero
    assert at_loss(student, 5.0 * student.repeat(1, 3, 1, 1)).item() == \
        pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize('p', [1.0, 2.0, 3.0])
def test_at_matches_float64_reference(p):
    torch.manual_seed(0)
    # different channel counts, as AT compares them
    feats_S, feats_T = torch.randn(3, 4, 5, 5), torch.randn(3, 7, 5, 5)
    assert at_loss(feats_S, feats_T, p=p).item() == pytest.approx(
        at_reference(feats_S, feats_T, p), abs=1e-6)
    assert at_loss(feats_S.double(), feats_T.double(), p=p).item() == \
        pytest.approx(at_reference(feats_S, feats_T, p), abs=1e-12)


def test_p_changes_the_loss():
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    assert at_loss(feats_S, feats_T, p=2.0).item() != pytest.approx(
        at_loss(feats_S, feats_T, p=4.0).item(), rel=1e-3)


def test_zero_when_equal_and_gradient_to_student_only():
    torch.manual_seed(2)
    feats_S = torch.randn(2, 3, 4, 4, requires_grad=True)
    loss = at_loss(feats_S, feats_S.detach().clone())
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-12)
    assert feats_S.grad.abs().max().item() < 1e-7
    feats_S.grad = None
    feats_T = torch.randn(2, 5, 4, 4, requires_grad=True)
    at_loss(feats_S, feats_T).backward()
    assert feats_S.grad.abs().sum() > 0
    assert feats_T.grad is None


def test_gradcheck():
    torch.manual_seed(3)
    feats_T = torch.randn(2, 3, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda feats_S: at_loss(feats_S, feats_T),
        torch.randn(2, 4, 3, 3, dtype=torch.float64, requires_grad=True))


def test_half_inputs_give_float32():
    feats_S, feats_T = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    loss = at_loss(feats_S.half(), feats_T.half())
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        at_reference(feats_S.half(), feats_T.half()), abs=1e-6)


def test_spatial_mismatch_names_both_sizes_and_resize():
    with pytest.raises(ValueError,
                       match=r'student map is 8 x 8 and the teacher map '
                       r'16 x 16.*`resize=True`'):
        at_loss(torch.randn(2, 3, 8, 8), torch.randn(2, 3, 16, 16))


def test_resize_pools_the_larger_map():
    torch.manual_seed(4)
    small, large = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 8, 8)
    # 2 x 2 block means, written out
    pooled = large.reshape(2, 5, 4, 2, 4, 2).mean((3, 5))
    expected = at_reference(small, pooled)
    assert at_loss(small, large, resize=True).item() == pytest.approx(
        expected, abs=1e-6)
    assert at_loss(large, small, resize=True).item() == pytest.approx(
        at_reference(pooled, small), abs=1e-6)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match='B x C x H x W.*student.feats.1'):
        at_loss(torch.randn(2, 3), torch.randn(2, 3))
    with pytest.raises(ValueError, match='different batch sizes'):
        at_loss(torch.randn(2, 3, 4, 4), torch.randn(3, 3, 4, 4))
    with pytest.raises(ValueError, match='positive power'):
        ATLoss(p=0)


def test_module_sums_stages_with_its_weight():
    torch.manual_seed(5)
    feats_S = [torch.randn(2, 3, 8, 8), torch.randn(2, 6, 4, 4)]
    feats_T = [torch.randn(2, 5, 8, 8), torch.randn(2, 9, 4, 4)]
    expected = sum(at_reference(s, t) for s, t in zip(feats_S, feats_T))
    assert ATLoss()(feats_S, feats_T).item() == pytest.approx(
        1000 * expected, rel=1e-5)
    built = build(dict(type='ATLoss', loss_weight=2.0, p=2.0))
    assert isinstance(built, ATLoss)
    assert built(feats_S[0], feats_T[0]).item() == pytest.approx(
        2 * at_reference(feats_S[0], feats_T[0]), rel=1e-5)


def test_module_errors_name_the_stage_pair():
    with pytest.raises(ValueError, match='1 student and 2 teacher maps'):
        ATLoss()([torch.randn(2, 3, 4, 4)],
                 [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 2, 2)])
    with pytest.raises(ValueError,
                       match=r'stage pair 1: .*4 x 4 .* 2 x 2.*resize=True'):
        ATLoss()([torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)],
                 [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 2, 2)])
    # with resize the same stages are accepted
    assert ATLoss(resize=True)(
        [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)],
        [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 2, 2)]).item() > 0


STAGES = ['feats.0', 'feats.1', 'feats.2']


def at_distiller(tmp_path, stages_S, stages_T, **loss_options):
    student = tiny_classifier()  # stages of 4, 8, 16 channels
    teacher = tiny_classifier(depth=14, base_channels=8)
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, teacher)
    return build(distiller_cfg(
        ckpt, student=student, teacher=teacher, student_loss_weight=1.0,
        distill_losses=dict(loss_at=dict(
            type='ATLoss', loss_weight=1000.0, **loss_options,
            inputs=dict(feats_S=[f'student.{s}' for s in stages_S],
                        feats_T=[f'teacher.{s}' for s in stages_T])))))


def all_stages(model, x):
    """Every stage output, from a copy of the backbone (same BN mode)."""
    backbone = copy.deepcopy(model.backbone)
    backbone.out_indices = (0, 1, 2)
    with torch.no_grad():
        return backbone(x)


def test_at_trains_in_the_distiller(tmp_path):
    distiller = at_distiller(tmp_path, STAGES, STAGES)
    x = torch.randn(3, 3, 32, 32)
    losses = distiller(x, samples([0, 1, 2]), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_at'}
    # the stage sum of the tapped maps, recomputed from the backbones
    maps_S, maps_T = (all_stages(model, x)
                      for model in (distiller.student, distiller.teacher))
    expected = 1000 * sum(at_reference(s, t) for s, t in zip(maps_S, maps_T))
    assert losses['loss_at'].item() == pytest.approx(expected, rel=1e-4)
    sum(losses.values()).backward()
    assert distiller.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in distiller.teacher.parameters())


def test_unequal_stage_sizes_in_the_distiller(tmp_path):
    # student stages 0, 1 (32, 16 px) against teacher stages 1, 2 (16, 8)
    with pytest.raises(DistillDataError,
                       match=r'loss_at \(ATLoss\): stage pair 0: .*32 x 32'
                       r'.*16 x 16.*resize=True'):
        at_distiller(tmp_path, STAGES[:2], STAGES[1:])(
            torch.randn(2, 3, 32, 32), samples([0, 1]), mode='loss')
    losses = at_distiller(tmp_path, STAGES[:2], STAGES[1:], resize=True)(
        torch.randn(2, 3, 32, 32), samples([0, 1]), mode='loss')
    assert losses['loss_at'].item() > 0


# --- parity with the released code, at the base config's settings -------
def released_at(g_s, g_t, p=2):
    """A transcription of RepDistiller's distiller_zoo/AT.py (Attention):
    per stage pair, the larger map (by height) average-pooled to the
    smaller's size, F.normalize of the channel mean of f^p, the mean
    squared difference; summed over the stages as its train loop does
    (helper/loops.py), the teacher under no_grad."""
    import torch.nn.functional as F

    def at(f):
        return F.normalize(f.pow(p).mean(1).view(f.size(0), -1))

    total = 0.0
    for f_s, f_t in zip(g_s, g_t):
        s_h, t_h = f_s.shape[2], f_t.shape[2]
        if s_h > t_h:
            f_s = F.adaptive_avg_pool2d(f_s, (t_h, t_h))
        elif s_h < t_h:
            f_t = F.adaptive_avg_pool2d(f_t, (s_h, s_h))
        with torch.no_grad():
            a_t = at(f_t)
        total = total + (at(f_s) - a_t).pow(2).mean()
    return total


def assert_parity(ours, released):
    torch.testing.assert_close(ours, released, rtol=1e-6,
                               atol=1e-6 * released.abs().max().item())


@pytest.mark.parametrize('student_sizes, resize', [
    ((16, 8, 4), False),  # same-size pairs: the base config
    ((8, 4, 2), True),  # e.g. WRN-40-2 -> ShuffleNetV1 (resize=True)
])
def test_at_equals_the_released_code_in_value_and_gradient(
        student_sizes, resize):
    loss = base_loss('at', 'loss_at', resize=resize)
    assert (loss.loss_weight, loss.p) == (1000.0, 2.0)
    torch.manual_seed(5)
    feats_T = [torch.randn(4, c, s, s, dtype=torch.float64)
               for c, s in ((8, 16), (16, 8), (32, 4))]
    ours_in = [torch.randn(4, c, s, s, dtype=torch.float64,
                           requires_grad=True)
               for c, s in zip((4, 8, 16), student_sizes)]
    released_in = [f.detach().clone().requires_grad_() for f in ours_in]
    ours = loss(ours_in, feats_T)
    released = 1000.0 * released_at(released_in, feats_T)
    assert_parity(ours, released)
    ours.backward()
    released.backward()
    for a, b in zip(ours_in, released_in):
        assert_parity(a.grad, b.grad)
