import math

import pytest
import torch
import torch.nn.functional as F

from vrm_mm.models.losses import DKDLoss, dkd_loss, kd_loss


def released_normalize(logit):
    """LSKD's ``normalize`` (github.com/sunshangquan/logit-standardization-KD,
    mdistiller/distillers/DKD.py lines 7-10), transcribed."""
    return (logit - logit.mean(dim=-1, keepdim=True)) / (
        1e-7 + logit.std(dim=-1, keepdim=True))


def released_lskd_dkd(preds_S, preds_T, target, alpha, beta, temperature):
    """LSKD's ``dkd_loss`` with ``logit_stand=True`` (same file, lines
    12-39, with its mask helpers), transcribed."""
    z_S, z_T = released_normalize(preds_S), released_normalize(preds_T)
    gt = torch.zeros_like(z_S).scatter_(1, target[:, None], 1).bool()
    other = ~gt

    def cat_mask(p):
        return torch.cat([(p * gt).sum(1, keepdim=True),
                          (p * other).sum(1, keepdim=True)], dim=1)

    p_S = cat_mask(F.softmax(z_S / temperature, dim=1))
    p_T = cat_mask(F.softmax(z_T / temperature, dim=1))
    tckd = F.kl_div(torch.log(p_S), p_T, reduction='sum') * \
        temperature**2 / target.shape[0]
    p_T2 = F.softmax(z_T / temperature - 1000.0 * gt, dim=1)
    log_p_S2 = F.log_softmax(z_S / temperature - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_p_S2, p_T2, reduction='sum') * \
        temperature**2 / target.shape[0]
    return alpha * tckd + beta * nckd


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def dkd_reference(preds_S, preds_T, gt_label, alpha, beta, temperature):
    """Float64 DKD from the formula, one sample at a time."""
    total = 0.0
    for s_row, t_row, target in zip(preds_S.double().tolist(),
                                    preds_T.double().tolist(),
                                    gt_label.tolist()):
        terms = []
        for row in (s_row, t_row):
            exp = [math.exp(v / temperature) for v in row]
            p = [e / sum(exp) for e in exp]
            rest = [v for c, v in enumerate(p) if c != target]
            terms.append(([p[target], sum(rest)],
                          [v / sum(rest) for v in rest]))
        (binary_S, among_S), (binary_T, among_T) = terms
        total += (alpha * kl(binary_T, binary_S) +
                  beta * kl(among_T, among_S))
    return temperature**2 * total / len(preds_S)


@pytest.mark.parametrize('alpha,beta,temperature', [(1.0, 8.0, 4.0),
                                                    (0.5, 2.0, 1.0)])
def test_dkd_matches_float64_reference(alpha, beta, temperature):
    torch.manual_seed(0)
    preds_S, preds_T = torch.randn(6, 5) * 3, torch.randn(6, 5) * 3
    gt_label = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = dkd_loss(preds_S, preds_T, gt_label, alpha, beta, temperature)
    assert loss.item() == pytest.approx(
        dkd_reference(preds_S, preds_T, gt_label, alpha, beta, temperature),
        rel=1e-5)


def test_dkd_by_hand():
    label = torch.tensor([0])
    student = torch.zeros(1, 3)  # p^S = [1/3, 1/3, 1/3]
    # Teacher [ln 2, ln 3, 0]: p^T = [2, 3, 1] / 6, so b^T = b^S = [1/3, 2/3]
    # and TCKD = 0; among non-targets q^T = [3/4, 1/4], q^S = [1/2, 1/2]:
    # NCKD = 3/4 ln(3/2) + 1/4 ln(1/2).
    teacher = torch.tensor([[math.log(2.0), math.log(3.0), 0.0]])
    nckd = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert dkd_loss(student, teacher, label, 1.0, 8.0,
                    1.0).item() == pytest.approx(8 * nckd, rel=1e-6)
    # Teacher [ln 2, 0, 0]: b^T = [1/2, 1/2], q^T = q^S, so NCKD = 0 and
    # TCKD = 1/2 ln(3/2) + 1/2 ln(3/4).
    teacher = torch.tensor([[math.log(2.0), 0.0, 0.0]])
    tckd = 0.5 * math.log(1.5) + 0.5 * math.log(0.75)
    assert dkd_loss(student, teacher, label, 1.0, 8.0,
                    1.0).item() == pytest.approx(tckd, rel=1e-6)


def test_kd_equals_tckd_plus_weighted_nckd_per_sample():
    # DKD paper, Eq. (7): KD = TCKD + (1 - p^T_t) * NCKD for every sample.
    torch.manual_seed(2)
    preds_S, preds_T = torch.randn(5, 6) * 2, torch.randn(5, 6) * 2
    gt_label = torch.tensor([1, 0, 5, 3, 3])
    temperature = 3.0
    for i in range(5):
        s, t, y = preds_S[i:i + 1], preds_T[i:i + 1], gt_label[i:i + 1]
        tckd = dkd_loss(s, t, y, 1.0, 0.0, temperature)
        nckd = dkd_loss(s, t, y, 0.0, 1.0, temperature)
        p_t = torch.softmax(t / temperature, dim=1)[0, y]
        assert kd_loss(s, t, temperature).item() == pytest.approx(
            (tckd + (1 - p_t) * nckd).item(), rel=1e-5)


def test_dkd_stays_exact_for_a_confident_student():
    # The student's non-target mass is e^-100 ~ 4e-44, a float32 subnormal
    # (and 1 - p_t rounds to 0); the log-domain split stays accurate.
    preds_S = torch.tensor([[100.0, 0.0, 1.0]])
    preds_T = torch.tensor([[5.0, 0.0, 1.0]])
    label = torch.tensor([0])
    loss = dkd_loss(preds_S, preds_T, label, 1.0, 8.0, 1.0)
    assert loss.item() == pytest.approx(
        dkd_reference(preds_S, preds_T, label, 1.0, 8.0, 1.0), rel=1e-5)


def test_dkd_module_passes_its_hyper_parameters():
    preds_S, preds_T = torch.randn(3, 6), torch.randn(3, 6)
    gt_label = torch.tensor([5, 0, 2])
    loss = DKDLoss(alpha=2.0, beta=4.0, temperature=2.0, loss_weight=0.5)
    expected = 0.5 * dkd_loss(preds_S, preds_T, gt_label, 2.0, 4.0, 2.0)
    assert loss(preds_S, preds_T, gt_label).item() == pytest.approx(
        expected.item(), rel=1e-6)


@pytest.mark.parametrize('alpha,beta,temperature', [(9.0, 72.0, 2.0),
                                                    (1.0, 8.0, 4.0)])
def test_dkd_logit_standardization_equals_released_in_float64(
        alpha, beta, temperature):
    """DKDLoss with LS on equals LSKD's released DKD, value and gradient
    (alpha 9, beta 72, T 2: LSKD's ResNet32x4 -> ResNet8x4 DKD run)."""
    torch.manual_seed(4)
    preds_S = (torch.randn(8, 10, dtype=torch.float64) * 3).requires_grad_()
    preds_T = torch.randn(8, 10, dtype=torch.float64) * 5
    gt_label = torch.tensor([0, 5, 2, 3, 1, 9, 9, 4])
    loss = DKDLoss(alpha=alpha, beta=beta, temperature=temperature,
                   logit_standardization=True)(preds_S, preds_T, gt_label)
    assert loss.dtype == torch.float64
    ref = released_lskd_dkd(preds_S, preds_T, gt_label, alpha, beta,
                            temperature)
    (grad, ) = torch.autograd.grad(loss, preds_S)
    (ref_grad, ) = torch.autograd.grad(ref, preds_S)
    assert abs(loss.item() - ref.item()) <= 1e-6
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-6)


def test_dkd_logit_standardization_is_invariant_to_shift_and_scale():
    torch.manual_seed(4)
    preds_S, preds_T = torch.randn(5, 6) * 3, torch.randn(5, 6) * 3
    gt_label = torch.tensor([0, 5, 2, 3, 1])
    loss = DKDLoss(alpha=9.0, beta=72.0, temperature=2.0,
                   logit_standardization=True)
    assert loss(2 * preds_S - 1, preds_T + 3, gt_label).item() == \
        pytest.approx(loss(preds_S, preds_T, gt_label).item(), rel=1e-5)
    plain = DKDLoss(alpha=9.0, beta=72.0, temperature=2.0)
    assert plain(2 * preds_S - 1, preds_T, gt_label).item() != \
        pytest.approx(plain(preds_S, preds_T, gt_label).item(), rel=1e-3)


@pytest.mark.parametrize('gt_label', [torch.zeros(3, 6),
                                      torch.tensor([[0], [1], [2]])])
def test_dkd_rejects_soft_or_misshaped_labels(gt_label):
    with pytest.raises(ValueError, match='integer class index'):
        dkd_loss(torch.randn(3, 6), torch.randn(3, 6), gt_label)
