import math

import pytest
import torch

from vrm_mm.models.losses import KDLoss, kd_loss, standardize_logits


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


def test_standardize_logits_is_a_population_z_score():
    logits = torch.tensor([[1.0, 2.0, 3.0, 6.0], [5.0, 5.0, 5.0, 5.0]])
    out = standardize_logits(logits).double()
    row = logits[0].double()
    population_std = math.sqrt(((row - row.mean())**2).mean().item())
    torch.testing.assert_close(out[0], (row - row.mean()) / population_std,
                               rtol=1e-5, atol=1e-6)
    assert torch.equal(out[1], torch.zeros(4, dtype=torch.float64))


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
