import math

import pytest
import torch

from vrm_mm.models.losses import DKDLoss, dkd_loss, kd_loss


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


def test_dkd_logit_standardization_matches_reference_and_is_invariant():
    torch.manual_seed(4)
    preds_S, preds_T = torch.randn(5, 6) * 3, torch.randn(5, 6) * 3
    gt_label = torch.tensor([0, 5, 2, 3, 1])

    def zscore(x):  # population variance, eps 1e-7 under the root
        return (x - x.mean(1, keepdim=True)) / (
            x.var(1, unbiased=False, keepdim=True) + 1e-7).sqrt()

    loss = DKDLoss(alpha=9.0, beta=72.0, temperature=2.0,
                   logit_standardization=True)
    expected = dkd_reference(zscore(preds_S.double()),
                             zscore(preds_T.double()), gt_label, 9.0, 72.0,
                             2.0)
    assert loss(preds_S, preds_T, gt_label).item() == pytest.approx(
        expected, rel=1e-5)
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
