import math

import pytest
import torch
from distill_helpers import (
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)

from vrm_mm.models.losses import CCLoss, cc_loss, rbf_correlation
from vrm_mm.utils.errors import DistillDataError


def released_cc(f_s, f_t):
    """RepDistiller's ``Correlation`` (github.com/HobbitLong/RepDistiller,
    distiller_zoo/CC.py lines 14-17), transcribed."""
    delta = torch.abs(f_s - f_t)
    return torch.mean((delta[:-1] * delta[1:]).sum(1))


def cc_reference(emb_S, emb_T, gamma, order):
    """Float64 CC in the paper's RBF form, with loops over pairs and
    terms."""
    n = len(emb_S)

    def correlation(emb):
        unit = [row / row.norm() for row in emb.double()]
        corr = [[0.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                c = (unit[i] @ unit[j]).item()
                corr[i][j] = sum(
                    math.exp(-2 * gamma) * (2 * gamma)**p /
                    math.factorial(p) * c**p for p in range(order + 1))
        return corr

    c_S, c_T = correlation(emb_S), correlation(emb_T)
    return sum((c_S[i][j] - c_T[i][j])**2 for i in range(n)
               for j in range(n)) / n**2


def test_cc_equals_released_in_float64():
    """Default form: value and gradients (both embeddings train)."""
    torch.manual_seed(3)
    emb_S = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    emb_T = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    loss = CCLoss(loss_weight=1.0)(emb_S, emb_T)
    assert loss.dtype == torch.float64
    ref = released_cc(emb_S, emb_T)
    grads = torch.autograd.grad(loss, [emb_S, emb_T])
    ref_grads = torch.autograd.grad(ref, [emb_S, emb_T])
    assert abs(loss.item() - ref.item()) <= 1e-6
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-6)


def test_released_cc_by_hand():
    # f_S - f_T rows [1, -2], [3, -0.5], [-1, 4]: |gaps| [1, 2], [3, 0.5],
    # [1, 4]; neighbour products sum to 3 + 1 = 4 and 3 + 2 = 5, mean 4.5
    emb_T = torch.randn(3, 2)
    gaps = torch.tensor([[1.0, -2.0], [3.0, -0.5], [-1.0, 4.0]])
    assert cc_loss(emb_T + gaps, emb_T).item() == pytest.approx(4.5,
                                                                rel=1e-5)
    # it depends on the batch order: rows 0 and 2 as neighbours give
    # (1 + 8 + 3 + 2) / 2 = 7
    order = torch.tensor([0, 2, 1])
    assert cc_loss(emb_T[order] + gaps[order],
                   emb_T[order]).item() == pytest.approx(7.0, rel=1e-5)


@pytest.mark.parametrize('gamma,order', [(0.4, 2), (1.0, 0), (0.7, 5)])
def test_rbf_cc_matches_float64_reference(gamma, order):
    torch.manual_seed(0)
    emb_S, emb_T = torch.randn(6, 5), torch.randn(6, 5) * 4
    expected = cc_reference(emb_S, emb_T, gamma, order)
    assert cc_loss(emb_S.double(), emb_T.double(), 'rbf_taylor', gamma,
                   order).item() == pytest.approx(expected, abs=1e-12)
    assert cc_loss(emb_S, emb_T, 'rbf_taylor', gamma,
                   order).item() == pytest.approx(expected, abs=1e-6)


def test_rbf_cc_by_hand():
    # student: orthogonal (cosine 0), teacher: equal (cosine 1); with
    # order 1 the off-diagonal correlations are e^-2g and e^-2g (1 + 2g)
    gamma = 0.4
    student = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    teacher = torch.tensor([[3.0, 0.0], [1.0, 0.0]])
    diff = math.exp(-2 * gamma) * 2 * gamma
    assert cc_loss(student, teacher, 'rbf_taylor', gamma,
                   1).item() == pytest.approx(2 * diff**2 / 4, rel=1e-6)


def test_expansion_approaches_the_rbf_kernel():
    torch.manual_seed(1)
    emb = torch.randn(5, 4, dtype=torch.float64)
    unit = emb / emb.norm(dim=1, keepdim=True)
    exact = torch.exp(-0.4 * torch.cdist(unit, unit)**2)
    assert torch.allclose(rbf_correlation(emb, 0.4, 20), exact, atol=1e-12)
    assert not torch.allclose(rbf_correlation(emb, 0.4, 2), exact,
                              atol=1e-3)


def test_rbf_cc_invariances():
    torch.manual_seed(2)
    emb_S, emb_T = torch.randn(7, 6), torch.randn(7, 6)
    base = cc_loss(emb_S, emb_T, 'rbf_taylor').item()
    rotation, _ = torch.linalg.qr(torch.randn(6, 6))
    scales = torch.rand(7, 1) + 0.1
    assert cc_loss(scales * emb_S @ rotation, emb_T,
                   'rbf_taylor').item() == pytest.approx(base, rel=1e-4)
    order = torch.randperm(7)
    assert cc_loss(emb_S[order], emb_T[order],
                   'rbf_taylor').item() == pytest.approx(base, rel=1e-5)
    assert cc_loss(emb_T @ rotation, emb_T, 'rbf_taylor').item() < 1e-10


@pytest.mark.parametrize('form', ['released', 'rbf_taylor'])
def test_cc_gradient_reaches_both_embeddings(form):
    emb_S = torch.randn(5, 4, requires_grad=True)
    emb_T = torch.randn(5, 4, requires_grad=True)
    cc_loss(emb_S, emb_T, form).backward()
    assert emb_S.grad.abs().sum() > 0 and emb_T.grad.abs().sum() > 0


def test_cc_module_and_bad_input():
    emb_S, emb_T = torch.randn(4, 8), torch.randn(4, 8)
    loss = CCLoss(form='rbf_taylor', gamma=0.5, order=3, loss_weight=2.0)
    assert loss(emb_S, emb_T).item() == pytest.approx(
        2.0 * cc_loss(emb_S, emb_T, 'rbf_taylor', 0.5, 3).item(), rel=1e-6)
    assert CCLoss(loss_weight=0.02)(emb_S, emb_T).item() == pytest.approx(
        0.02 * released_cc(emb_S, emb_T).item(), rel=1e-6)
    with pytest.raises(ValueError,
                       match=r"\('released', 'rbf_taylor'\).*'rbf'"):
        CCLoss(form='rbf')
    with pytest.raises(ValueError, match="'released', 'rbf_taylor'"):
        cc_loss(emb_S, emb_T, form='kernel')
    with pytest.raises(ValueError, match=r'student \(4, 64\) and teacher '
                       r'\(4, 256\).*in_channels=64.*in_channels=256'):
        CCLoss()(torch.randn(4, 64), torch.randn(4, 256))
    with pytest.raises(ValueError, match='CC loss needs at least 2.*drop'):
        cc_loss(torch.randn(1, 4), torch.randn(1, 4))
    with pytest.raises(ValueError, match='different batch sizes'):
        cc_loss(torch.randn(4, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match='gamma > 0 and order >= 0'):
        CCLoss(order=-1)


def test_distiller_without_connectors_names_the_ones_that_fit(tmp_path):
    """Raw pooled features 16 and 32 wide: the first batch says which
    connectors to add; with them the same pair trains, both connectors
    included."""
    teacher = tiny_classifier()
    teacher['backbone']['base_channels'] = 8
    teacher['head']['in_channels'] = 32
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, teacher)
    raw = dict(type='CCLoss', inputs=dict(emb_S='student.pre_logits',
                                          emb_T='teacher.pre_logits'))
    distiller = build(distiller_cfg(ckpt, teacher=teacher,
                                    distill_losses=dict(loss_cc=raw)))
    images = torch.randn(4, 3, 16, 16)
    with pytest.raises(DistillDataError,
                       match=r'loss_cc \(CCLoss\).*\(4, 16\).*\(4, 32\)'
                       r'.*in_channels=16.*in_channels=32'):
        distiller(images, samples([0, 1, 2, 0]), mode='loss')
    embedded = dict(raw, inputs=dict(emb_S='connectors.embed_S',
                                     emb_T='connectors.embed_T'))
    connectors = {
        f'embed_{side}': dict(type='LinearConnector', in_channels=width,
                              out_channels=8, input=f'{model}.pre_logits')
        for side, model, width in (('S', 'student', 16),
                                   ('T', 'teacher', 32))
    }
    distiller = build(distiller_cfg(ckpt, teacher=teacher,
                                    connectors=connectors,
                                    distill_losses=dict(loss_cc=embedded)))
    losses = distiller(images, samples([0, 1, 2, 0]), mode='loss')
    losses['loss_cc'].backward()
    for connector in distiller.connectors.values():
        assert connector.fc.weight.grad.abs().sum() > 0
    with pytest.raises(DistillDataError,
                       match=r'loss_cc \(CCLoss\).*at least 2 samples'):
        distiller(images[:1], samples([0]), mode='loss')
