import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from vrm_mm.models.losses import RKDLoss, rkd_loss


def huber(x):
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def released_rkd(f_s, f_t, distance_weight=25.0, angle_weight=50.0,
                 eps=1e-12):
    """mdistiller's ``rkd_loss`` (github.com/megvii-research/mdistiller,
    mdistiller/distillers/RKD.py lines 8-50, squared=False), transcribed."""

    def pdist(e):
        sq = e.pow(2).sum(dim=1)
        res = (sq[:, None] + sq[None, :] - 2 * e @ e.t()).clamp(min=eps)
        res = res.sqrt().clone()
        res[range(len(e)), range(len(e))] = 0
        return res

    def angles(e):
        unit = F.normalize(e.unsqueeze(0) - e.unsqueeze(1), p=2, dim=2)
        return torch.bmm(unit, unit.transpose(1, 2)).view(-1)

    with torch.no_grad():
        t_d = pdist(f_t)
        t_d = t_d / t_d[t_d > 0].mean()
        t_angle = angles(f_t)
    d = pdist(f_s)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    loss_a = F.smooth_l1_loss(angles(f_s), t_angle)
    return distance_weight * loss_d + angle_weight * loss_a


def rkd_reference(feats_S, feats_T, distance_weight, angle_weight):
    """Float64 RKD averaged over the defined relations, with loops over
    pairs and triplets."""
    n = len(feats_S)
    pairs = [(i, j) for i, j in itertools.product(range(n), repeat=2)
             if i != j]
    triplets = [(i, j, k) for i, j, k in itertools.product(range(n),
                                                           repeat=3)
                if i != j and k != j]

    def relations(feats):
        e = feats.double()
        dist = {p: (e[p[0]] - e[p[1]]).norm().item() for p in pairs}
        mean = sum(dist.values()) / len(dist)
        cos = {}
        for i, j, k in triplets:
            a, b = e[i] - e[j], e[k] - e[j]
            cos[i, j, k] = (a @ b / (a.norm() * b.norm())).item()
        return {p: d / mean for p, d in dist.items()}, cos

    (dist_S, cos_S), (dist_T, cos_T) = relations(feats_S), relations(feats_T)
    loss_d = sum(huber(dist_S[p] - dist_T[p]) for p in pairs) / len(pairs)
    loss_a = sum(huber(cos_S[t] - cos_T[t])
                 for t in triplets) / len(triplets)
    return distance_weight * loss_d + angle_weight * loss_a


@pytest.mark.parametrize('outlier', [1.0, 8.0])
def test_rkd_equals_released_in_float64(outlier):
    """Default (average_over='all'): value and gradient of mdistiller's RKD;
    an outlier sample puts distance gaps in smooth-L1's linear part."""
    torch.manual_seed(0)
    feats_S = torch.randn(7, 5, dtype=torch.float64)
    feats_S[2] *= outlier
    feats_S.requires_grad_()
    feats_T = torch.randn(7, 9, dtype=torch.float64) * 3
    for weights in [(25.0, 50.0), (1.0, 0.0), (0.0, 1.0)]:
        loss = RKDLoss(*weights)(feats_S, feats_T)
        assert loss.dtype == torch.float64
        ref = released_rkd(feats_S, feats_T, *weights)
        (grad, ) = torch.autograd.grad(loss, feats_S)
        (ref_grad, ) = torch.autograd.grad(ref, feats_S)
        assert abs(loss.item() - ref.item()) <= 1e-6
        torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-6)
    if outlier > 1:  # the linear part of smooth-L1 is reached
        d = torch.cdist(feats_S, feats_S).detach()
        t = torch.cdist(feats_T, feats_T)
        assert ((d / d.sum() - t / t.sum()) * 42).abs().max() > 1


def test_rkd_defined_average_matches_float64_reference():
    torch.manual_seed(0)
    feats_S, feats_T = torch.randn(5, 4), torch.randn(5, 7) * 3
    for weights in [(25.0, 50.0), (1.0, 0.0), (0.0, 1.0)]:
        loss = rkd_loss(feats_S, feats_T, *weights, average_over='defined')
        assert loss.item() == pytest.approx(
            rkd_reference(feats_S, feats_T, *weights), rel=1e-5)


def test_rkd_averages_differ_by_the_counts():
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(6, 4), torch.randn(6, 3)
    n = 6
    for weights, ratio in [((1.0, 0.0), (n - 1) / n),
                           ((0.0, 1.0), ((n - 1) / n)**2)]:
        released = rkd_loss(feats_S, feats_T, *weights)
        defined = rkd_loss(feats_S, feats_T, *weights,
                           average_over='defined')
        assert released.item() == pytest.approx(ratio * defined.item(),
                                                rel=1e-5)


def test_rkd_on_two_right_triangles_by_hand():
    # Student: right isosceles triangle, teacher: 30-60-90 triangle, both
    # with the right angle at sample 0.
    student = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[0.0, 0.0], [math.sqrt(3.0), 0.0], [0.0, 1.0]])
    # Angles: cosines at samples 1 and 2 are sqrt(2)/2 each vs. sqrt(3)/2
    # and 1/2; each counts for two ordered (i, k), the rest match (cos 0 at
    # sample 0, cos 1 when i == k, 0 on both sides where undefined): a sum
    # over 12 defined triplets, a mean over 12 ('defined') or 27 ('all').
    diffs = [math.sqrt(3) / 2 - math.sqrt(2) / 2, 0.5 - math.sqrt(2) / 2]
    angle_sum = 2 * sum(0.5 * d * d for d in diffs)
    assert rkd_loss(student, teacher, 0.0, 1.0).item() == pytest.approx(
        angle_sum / 27, rel=1e-5)
    assert rkd_loss(student, teacher, 0.0, 1.0,
                    average_over='defined').item() == pytest.approx(
                        angle_sum / 12, rel=1e-5)
    # Distances (01, 02, 12): (1, 1, sqrt 2) / mean vs (sqrt 3, 1, 2) / mean;
    # each pair counts in both orders: 6 of the 9 entries.
    d_S = [1.0, 1.0, math.sqrt(2.0)]
    d_T = [math.sqrt(3.0), 1.0, 2.0]
    diffs = [s / (sum(d_S) / 3) - t / (sum(d_T) / 3)
             for s, t in zip(d_S, d_T)]
    distance_sum = 2 * sum(0.5 * d * d for d in diffs)
    assert rkd_loss(student, teacher, 1.0, 0.0).item() == pytest.approx(
        distance_sum / 9, rel=1e-5)
    assert rkd_loss(student, teacher, 1.0, 0.0,
                    average_over='defined').item() == pytest.approx(
                        distance_sum / 6, rel=1e-5)


def test_rkd_unknown_average_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"\('all', 'defined'\).*'mean'"):
        RKDLoss(average_over='mean')
    with pytest.raises(ValueError, match="'all', 'defined'"):
        rkd_loss(torch.randn(4, 3), torch.randn(4, 3), average_over='pairs')


def test_rkd_invariant_to_scaling_and_translating_features():
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(6, 8), torch.randn(6, 5)
    base = rkd_loss(feats_S, feats_T).item()
    assert rkd_loss(3.7 * feats_S + 2.0,
                    feats_T).item() == pytest.approx(base, rel=1e-4)
    assert rkd_loss(feats_S, 0.2 * feats_T -
                    torch.randn(5)).item() == pytest.approx(base, rel=1e-4)


def test_rkd_duplicate_samples_give_finite_gradient():
    feats_S = torch.randn(4, 3)
    feats_S[1] = feats_S[0]
    feats_S.requires_grad_()
    RKDLoss()(feats_S, torch.randn(4, 6)).backward()
    assert torch.isfinite(feats_S.grad).all()
    assert feats_S.grad.abs().max().item() < 1e3


def test_rkd_module_passes_its_hyper_parameters():
    feats_S, feats_T = torch.randn(5, 8), torch.randn(5, 4)
    loss = RKDLoss(distance_weight=2.0, angle_weight=3.0,
                   average_over='defined', loss_weight=0.5)
    expected = 0.5 * rkd_loss(feats_S, feats_T, 2.0, 3.0, 'defined')
    assert loss(feats_S, feats_T).item() == pytest.approx(
        expected.item(), rel=1e-6)


def test_rkd_small_batches_raise_clear_error():
    with pytest.raises(ValueError, match='at least 3 samples.*drop_last'):
        rkd_loss(torch.randn(2, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match='at least 2 samples'):
        rkd_loss(torch.randn(1, 4), torch.randn(1, 4), angle_weight=0.0)
    # The distance term alone works on two samples.
    assert rkd_loss(torch.randn(2, 4), torch.randn(2, 4),
                    angle_weight=0.0).item() >= 0
