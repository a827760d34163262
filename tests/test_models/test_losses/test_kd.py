import math

import pytest
import torch
import torch.nn.functional as F

from vrm_mm.models.losses import KDLoss, kd_loss, standardize_logits


def released_normalize(logit):
    """LSKD's ``normalize`` (github.com/sunshangquan/logit-standardization-KD,
    mdistiller/distillers/KD.py lines 7-10), transcribed."""
    return (logit - logit.mean(dim=-1, keepdim=True)) / (
        1e-7 + logit.std(dim=-1, keepdim=True))


def released_lskd_kd(preds_S, preds_T, temperature):
    """LSKD's ``kd_loss`` with ``logit_stand=True`` (same file, lines
    12-19), transcribed."""
    log_p_S = F.log_softmax(released_normalize(preds_S) / temperature, dim=1)
    p_T = F.softmax(released_normalize(preds_T) / temperature, dim=1)
    return F.kl_div(log_p_S, p_T, reduction='none').sum(1).mean() * \
        temperature**2


def kd_reference(preds_S, preds_T, temperature):
    """Float64 KD straight from the formula, one sample and class at a
    time."""
    total = 0.0
    for s_row, t_row in zip(preds_S.double().tolist(),
                            preds_T.double().tolist()):
        z_S = [math.exp(v / temperature) for v in s_row]
        z_T = [math.exp(v / temperature) for v in t_row]
        for e_S, e_T in zip(z_S, z_T):
            p_S, p_T = e_S / sum(z_S), e_T / sum(z_T)
            total += p_T * math.log(p_T / p_S)
    return temperature**2 * total / len(preds_S)


@pytest.mark.parametrize('temperature', [1.0, 4.0])
def test_kd_matches_float64_reference(temperature):
    torch.manual_seed(0)
    preds_S, preds_T = torch.randn(5, 7) * 3, torch.randn(5, 7) * 3
    loss = kd_loss(preds_S, preds_T, temperature)
    assert loss.item() == pytest.approx(
        kd_reference(preds_S, preds_T, temperature), rel=1e-5)


def test_kd_two_classes_by_hand():
    # Teacher [ln 3, 0] -> p^T = [3/4, 1/4]; student [0, 0] -> [1/2, 1/2].
    # KL = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.1308120...
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    preds_S = torch.zeros(1, 2)
    preds_T = torch.tensor([[math.log(3.0), 0.0]])
    assert kd_loss(preds_S, preds_T, 1.0).item() == pytest.approx(
        expected, rel=1e-6)
    # T = 2 on doubled logits gives the same distributions, times T^2 = 4.
    assert kd_loss(preds_S, 2 * preds_T, 2.0).item() == pytest.approx(
        4 * expected, rel=1e-6)


def test_kd_module_passes_its_hyper_parameters():
    preds_S, preds_T = torch.randn(3, 6), torch.randn(3, 6)
    assert KDLoss(temperature=2.0, loss_weight=0.9)(
        preds_S, preds_T).item() == pytest.approx(
            0.9 * kd_loss(preds_S, preds_T, 2.0).item(), rel=1e-6)


def test_standardize_logits_by_hand():
    # [1, 2, 3, 6]: mean 3, deviations [-2, -1, 0, 3], sum of squares 14,
    # sample std sqrt(14 / 3) (n - 1), eps 1e-7 added to the std
    logits = torch.tensor([[1.0, 2.0, 3.0, 6.0], [5.0, 5.0, 5.0, 5.0]],
                          dtype=torch.float64)
    out = standardize_logits(logits)
    std = math.sqrt(14 / 3)
    expected = torch.tensor([-2.0, -1.0, 0.0, 3.0],
                            dtype=torch.float64) / (1e-7 + std)
    torch.testing.assert_close(out[0], expected, rtol=1e-12, atol=1e-12)
    assert torch.equal(out[1], torch.zeros(4, dtype=torch.float64))
    # not the population std (which would give sqrt(14 / 4))
    assert out[0, 3].item() != pytest.approx(3 / math.sqrt(14 / 4), rel=1e-3)


def test_standardize_logits_equals_released_in_value_and_gradient():
    torch.manual_seed(5)
    logits = (torch.randn(6, 10, dtype=torch.float64) * 4).requires_grad_()
    weights = torch.randn(6, 10, dtype=torch.float64)
    ours = standardize_logits(logits)
    (grad, ) = torch.autograd.grad((ours * weights).sum(), logits)
    ref = released_normalize(logits)
    (ref_grad, ) = torch.autograd.grad((ref * weights).sum(), logits)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-6)


def test_standardize_logits_needs_two_classes():
    with pytest.raises(ValueError, match='at least 2 classes'):
        standardize_logits(torch.randn(3, 1))


@pytest.mark.parametrize('temperature', [2.0, 4.0])
def test_lskd_equals_released_in_float64(temperature):
    """KDLoss with LS on equals LSKD's released KD, value and gradient."""
    torch.manual_seed(6)
    preds_S = (torch.randn(8, 10, dtype=torch.float64) * 3).requires_grad_()
    preds_T = torch.randn(8, 10, dtype=torch.float64) * 5
    loss = KDLoss(temperature=temperature, loss_weight=1.0,
                  logit_standardization=True)(preds_S, preds_T)
    assert loss.dtype == torch.float64
    ref = released_lskd_kd(preds_S, preds_T, temperature)
    (grad, ) = torch.autograd.grad(loss, preds_S)
    (ref_grad, ) = torch.autograd.grad(ref, preds_S)
    assert abs(loss.item() - ref.item()) <= 1e-6
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-6)
    # the population std (the former behaviour) is measurably different
    population = kd_loss(F.layer_norm(preds_S, (10, ), eps=1e-7),
                         F.layer_norm(preds_T, (10, ), eps=1e-7),
                         temperature)
    assert abs(population.item() - ref.item()) > 1e-4


def test_lskd_invariant_to_shifting_and_scaling_rows():
    torch.manual_seed(1)
    preds_S, preds_T = torch.randn(4, 8), torch.randn(4, 8)
    shift, scale = torch.randn(4, 1) * 5, torch.rand(4, 1) * 3 + 0.5
    lskd = KDLoss(temperature=2.0, logit_standardization=True)
    base = lskd(preds_S, preds_T).item()
    assert lskd(preds_S * scale + shift, preds_T).item() == pytest.approx(
        base, rel=1e-4)
    assert lskd(preds_S, preds_T * scale - shift).item() == pytest.approx(
        base, rel=1e-4)
    # Plain KD is not invariant, so the flag really changes the loss.
    plain = KDLoss(temperature=2.0)
    assert plain(preds_S * 3, preds_T).item() != pytest.approx(
        plain(preds_S, preds_T).item(), rel=1e-2)


def test_lskd_constant_student_rows_have_finite_gradient():
    preds_S = torch.zeros(2, 5, requires_grad=True)
    KDLoss(logit_standardization=True)(preds_S, torch.randn(2, 5)).backward()
    assert torch.isfinite(preds_S.grad).all()


def test_kd_mismatched_classes_raise_clear_error():
    with pytest.raises(ValueError, match='num_classes'):
        kd_loss(torch.randn(2, 10), torch.randn(2, 100))
