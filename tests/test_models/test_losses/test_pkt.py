import math

import pytest
import torch
from distill_helpers import base_loss

from vrm_mm.models.losses import PKTLoss, pkt_loss


def pkt_reference(feats_S, feats_T, eps=1e-7):
    """Float64 PKT from the formula, with loops over the batch."""
    n = len(feats_S)

    def probabilities(feats):
        x = feats.double()
        unit = [row / (row.norm() + eps) for row in x]  # zero rows stay
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
    # unit rows are x / (|x| + eps), so a cosine of +-1 is +-a, a = 1 /
    # (1 + eps)^2. Student: orthogonal samples, K = [[(1 + a) / 2, 1 / 2],
    # ...], rows ((1 + a) / (2 + a), 1 / (2 + a)); teacher: opposite
    # samples, K = [[(1 + a) / 2, (1 - a) / 2], ...], rows summing to 1
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    teacher = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    eps = 1e-7
    a = 1 / (1 + eps)**2
    p_S = ((1 + a) / (2 + a), 1 / (2 + a))
    p_T = ((1 + a) / 2, (1 - a) / 2)
    expected = 2 * sum(t * math.log((t + eps) / (s + eps))
                       for s, t in zip(p_S, p_T)) / 4
    assert pkt_loss(student, teacher).item() == pytest.approx(expected,
                                                              rel=1e-12)
    # without the eps the teacher's rows would be (1, 0)
    assert expected == pytest.approx(
        2 * math.log((1 + eps) / (2 / 3 + eps)) / 4, rel=1e-5)


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


# --- parity with the released code, at the base config's settings -------
def released_pkt(output_net, target_net, eps=1e-7):
    """A transcription of RepDistiller's distiller_zoo/PKT.py
    (PKT.cosine_similarity_loss): rows over (norm + eps), NaNs zeroed, the
    cosine kernel mapped to [0, 1] and row-normalised, the mean of
    P_T log((P_T + eps) / (P_S + eps)); the teacher under no_grad."""
    def probabilities(x):
        x = x / (x.pow(2).sum(1, keepdim=True).sqrt() + eps)
        x = torch.where(torch.isnan(x), torch.zeros_like(x), x)
        kernel = (x @ x.t() + 1.0) / 2.0
        return kernel / kernel.sum(1, keepdim=True)

    prob_s = probabilities(output_net)
    with torch.no_grad():
        prob_t = probabilities(target_net)
    return torch.mean(prob_t * torch.log((prob_t + eps) / (prob_s + eps)))


def assert_parity(ours, released):
    torch.testing.assert_close(ours, released, rtol=1e-6,
                               atol=1e-6 * released.abs().max().item())


@pytest.mark.parametrize('scale', [1.0, 1e-6])  # small norms: eps matters
def test_pkt_equals_the_released_code_in_value_and_gradient(scale):
    loss = base_loss('pkt', 'loss_pkt')
    assert (loss.loss_weight, loss.eps) == (30000.0, 1e-7)
    torch.manual_seed(4)
    feats_T = scale * torch.randn(8, 12, dtype=torch.float64)
    ours_in = (scale * torch.randn(8, 6, dtype=torch.float64)
               ).requires_grad_()
    released_in = ours_in.detach().clone().requires_grad_()
    ours = loss(ours_in, feats_T)
    released = 30000.0 * released_pkt(released_in, feats_T)
    assert_parity(ours, released)
    ours.backward()
    released.backward()
    assert_parity(ours_in.grad, released_in.grad)
