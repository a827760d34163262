import itertools
import math

import pytest
import torch

from vrm_mm.models.losses import RKDLoss, rkd_loss


def huber(x):
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def rkd_reference(feats_S, feats_T, distance_weight, angle_weight):
    """Float64 RKD from the formula, with loops over pairs and triplets."""
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


def test_rkd_matches_float64_reference():
    torch.manual_seed(0)
    feats_S, feats_T = torch.randn(5, 4), torch.randn(5, 7) * 3
    for weights in [(25.0, 50.0), (1.0, 0.0), (0.0, 1.0)]:
        loss = rkd_loss(feats_S, feats_T, *weights)
        assert loss.item() == pytest.approx(
            rkd_reference(feats_S, feats_T, *weights), rel=1e-5)


def test_rkd_on_two_right_triangles_by_hand():
    # Student: right isosceles triangle, teacher: 30-60-90 triangle, both
    # with the right angle at sample 0.
    student = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[0.0, 0.0], [math.sqrt(3.0), 0.0], [0.0, 1.0]])
    # Angles: cosines at samples 1 and 2 are sqrt(2)/2 each vs. sqrt(3)/2
    # and 1/2; each counts for two ordered (i, k) of the 12 triplets,
    # the rest match (cos 0 at sample 0, cos 1 when i == k).
    diffs = [math.sqrt(3) / 2 - math.sqrt(2) / 2, 0.5 - math.sqrt(2) / 2]
    angle = 2 * sum(0.5 * d * d for d in diffs) / 12
    assert rkd_loss(student, teacher, 0.0, 1.0).item() == pytest.approx(
        angle, rel=1e-5)
    # Distances (01, 02, 12): (1, 1, sqrt 2) / mean vs (sqrt 3, 1, 2) / mean;
    # each pair counts in both orders out of 6.
    d_S = [1.0, 1.0, math.sqrt(2.0)]
    d_T = [math.sqrt(3.0), 1.0, 2.0]
    diffs = [s / (sum(d_S) / 3) - t / (sum(d_T) / 3)
             for s, t in zip(d_S, d_T)]
    distance = 2 * sum(0.5 * d * d for d in diffs) / 6
    assert rkd_loss(student, teacher, 1.0, 0.0).item() == pytest.approx(
        distance, rel=1e-5)


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
    loss = RKDLoss(distance_weight=2.0, angle_weight=3.0, loss_weight=0.5)
    expected = 0.5 * rkd_loss(feats_S, feats_T, 2.0, 3.0)
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
