import math

import pytest
import torch

from vrm_mm.models.losses import PKTLoss, pkt_loss


def pkt_reference(feats_S, feats_T, eps=1e-7):
    """Float64 PKT from the formula, with loops over the batch."""
    n = len(feats_S)

    def probabilities(feats):
        x = feats.double()
        unit = [row / row.norm() if row.norm() > 0 else row for row in x]
        kernel = [[(unit[i] @ unit[j]).item() / 2 + 0.5 for j in range(n)]
                  for i in range(n)]
        return [[k / sum(row) for k in row] for row in kernel]

    p_S, p_T = probabilities(feats_S), probabilities(feats_T)
    return sum(p_T[i][j] * math.log((p_T[i][j] + eps) / (p_S[i][j] + eps))
               for i in range(n) for j in range(n)) / n**2


def test_pkt_matches_float64_reference():
    torch.manual_seed(0)
    feats_S, feats_T = torch.randn(6, 4), torch.randn(6, 9) * 3
    feats_S[3] = 0  # a zero row: its kernel row is uniform
    assert pkt_loss(feats_S.double(), feats_T.double()).item() == \
        pytest.approx(pkt_reference(feats_S, feats_T), abs=1e-12)
    assert pkt_loss(feats_S, feats_T).item() == pytest.approx(
        pkt_reference(feats_S, feats_T), abs=1e-6)


def test_pkt_by_hand():
    # student: orthogonal samples, K = [[1, .5], [.5, 1]], rows (2/3, 1/3);
    # teacher: opposite samples, K = I, rows (1, 0)
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    eps = 1e-7
    expected = 2 * math.log((1 + eps) / (2 / 3 + eps)) / 4
    assert pkt_loss(student, teacher).item() == pytest.approx(expected,
                                                              rel=1e-6)


def test_pkt_invariances_and_sign():
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(7, 5), torch.randn(7, 3)
    base = pkt_loss(feats_S, feats_T).item()
    assert base > 0
    scales = torch.rand(7, 1) + 0.1  # per-sample positive scaling
    rotation, _ = torch.linalg.qr(torch.randn(5, 5))
    assert pkt_loss(scales * feats_S @ rotation,
                    feats_T).item() == pytest.approx(base, rel=1e-5)
    order = torch.randperm(7)
    assert pkt_loss(feats_S[order],
                    feats_T[order]).item() == pytest.approx(base, rel=1e-5)
    rotation, _ = torch.linalg.qr(torch.randn(3, 3))
    assert abs(pkt_loss(feats_T @ rotation, feats_T).item()) < 1e-7


def test_pkt_module_and_bad_input():
    feats_S, feats_T = torch.randn(4, 6), torch.randn(4, 2)
    loss = PKTLoss(eps=1e-3, loss_weight=2.0)(feats_S, feats_T)
    assert loss.item() == pytest.approx(
        2.0 * pkt_loss(feats_S, feats_T, eps=1e-3).item(), rel=1e-6)
    assert PKTLoss().loss_weight == 30000.0
    with pytest.raises(ValueError, match='PKT loss needs at least 2.*drop'):
        pkt_loss(torch.randn(1, 4), torch.randn(1, 4))
    with pytest.raises(ValueError, match='different batch sizes'):
        pkt_loss(torch.randn(4, 4), torch.randn(5, 4))
    with pytest.raises(ValueError, match='must be 2-D.*pre_logits'):
        pkt_loss(torch.randn(4, 4, 2, 2), torch.randn(4, 4))
