import math

import pytest
import torch
from distill_helpers import base_loss

from vrm_mm.models.losses import SPLoss, sp_loss


def sp_reference(feats_S, feats_T):
    """Float64 SP from the formula, with loops over the batch."""
    n = len(feats_S)

    def similarity(feats):
        q = feats.double().reshape(n, -1)
        gram = [[(q[i] @ q[j]).item() for j in range(n)] for i in range(n)]
        norms = [math.sqrt(sum(g * g for g in row)) for row in gram]
        return [[g / norms[i] for g in row] for i, row in enumerate(gram)]

    sim_S, sim_T = similarity(feats_S), similarity(feats_T)
    return sum((sim_S[i][j] - sim_T[i][j])**2 for i in range(n)
               for j in range(n)) / n**2


def test_sp_matches_float64_reference():
    torch.manual_seed(0)
    # feature maps of different channels and sizes, as SP compares them
    feats_S, feats_T = torch.randn(5, 3, 4, 4), torch.randn(5, 8, 2, 2)
    assert sp_loss(feats_S.double(), feats_T.double()).item() == \
        pytest.approx(sp_reference(feats_S, feats_T), abs=1e-12)
    assert sp_loss(feats_S, feats_T).item() == pytest.approx(
        sp_reference(feats_S, feats_T), abs=1e-6)


def test_sp_by_hand():
    # student: orthogonal samples, G~ = I; teacher: equal samples, every
    # row of G~ is (1, 1) / sqrt 2
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    diag, off = 1 - 1 / math.sqrt(2), 1 / math.sqrt(2)
    expected = (2 * diag**2 + 2 * off**2) / 4
    assert sp_loss(student, teacher).item() == pytest.approx(expected,
                                                             rel=1e-6)


def test_sp_invariances():
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(6, 4, 3, 3), torch.randn(6, 10)
    base = sp_loss(feats_S, feats_T).item()
    rotation, _ = torch.linalg.qr(torch.randn(36, 36))
    rotated = (feats_S.reshape(6, -1) @ rotation).reshape(6, 4, 3, 3)
    assert sp_loss(rotated, 5.0 * feats_T).item() == pytest.approx(
        base, rel=1e-4)
    order = torch.randperm(6)
    assert sp_loss(0.1 * feats_S[order],
                   feats_T[order]).item() == pytest.approx(base, rel=1e-5)
    assert sp_loss(feats_S, feats_S.flatten(1) @ rotation).item() < 1e-10


def test_sp_zero_sample_gives_finite_gradient():
    feats_S = torch.randn(4, 3)
    feats_S[2] = 0  # e.g. an all-zero feature map after ReLU
    feats_S.requires_grad_()
    sp_loss(feats_S, torch.randn(4, 5)).backward()
    assert torch.isfinite(feats_S.grad).all()
    assert feats_S.grad.abs().max().item() < 1e3


def test_sp_module_default_weight_and_bad_input():
    feats_S, feats_T = torch.randn(4, 2, 2, 2), torch.randn(4, 3, 2, 2)
    assert SPLoss()(feats_S, feats_T).item() == pytest.approx(
        3000 * sp_loss(feats_S, feats_T).item(), rel=1e-6)
    with pytest.raises(ValueError, match='SP loss needs at least 2.*drop'):
        sp_loss(torch.randn(1, 4, 2, 2), torch.randn(1, 4, 2, 2))
    with pytest.raises(ValueError, match='different batch sizes'):
        sp_loss(torch.randn(4, 2, 2, 2), torch.randn(3, 2, 2, 2))


# --- parity with the released code, at the base config's settings -------
def released_sp(f_s, f_t):
    """A transcription of RepDistiller's distiller_zoo/SP.py
    (Similarity.similarity_loss): row-normalised Gram matrices, their
    squared difference summed over the B x B entries over B^2; the teacher
    under no_grad as in its train loop (helper/loops.py)."""
    import torch.nn.functional as F
    bsz = f_s.shape[0]
    gram_s = F.normalize(f_s.reshape(bsz, -1) @ f_s.reshape(bsz, -1).t())
    with torch.no_grad():
        gram_t = F.normalize(f_t.reshape(bsz, -1) @ f_t.reshape(bsz, -1).t())
    diff = gram_t - gram_s
    return (diff * diff).reshape(-1, 1).sum(0) / (bsz * bsz)


def assert_parity(ours, released):
    torch.testing.assert_close(ours, released, rtol=1e-6,
                               atol=1e-6 * released.abs().max().item())


def test_sp_equals_the_released_code_in_value_and_gradient():
    loss = base_loss('sp', 'loss_sp')
    assert loss.loss_weight == 3000.0  # RepDistiller's -b 3000
    torch.manual_seed(3)
    feats_T = torch.randn(8, 32, 4, 4, dtype=torch.float64)
    ours_in = torch.randn(8, 16, 8, 8, dtype=torch.float64,
                          requires_grad=True)
    released_in = ours_in.detach().clone().requires_grad_()
    ours = loss(ours_in, feats_T)
    released = 3000.0 * released_sp(released_in, feats_T).sum()
    assert_parity(ours, released)
    ours.backward()
    released.backward()
    assert_parity(ours_in.grad, released_in.grad)
