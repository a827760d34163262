import math

import pytest
import torch

from vrm_mm.models.losses import DISTLoss, dist_loss, pearson_correlation


def pearson_reference(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y))
    var_x = sum((a - mx)**2 for a in x)
    var_y = sum((b - my)**2 for b in y)
    return cov / math.sqrt(var_x * var_y)


def dist_reference(preds_S, preds_T, beta, gamma, tau):
    """Float64 DIST from the formula with explicit rows and columns."""
    p_S = torch.softmax(preds_S.double() / tau, dim=1).tolist()
    p_T = torch.softmax(preds_T.double() / tau, dim=1).tolist()
    rows = [pearson_reference(s, t) for s, t in zip(p_S, p_T)]
    cols = [pearson_reference(s, t) for s, t in zip(zip(*p_S), zip(*p_T))]
    inter = 1 - sum(rows) / len(rows)
    intra = 1 - sum(cols) / len(cols)
    return tau**2 * (beta * inter + gamma * intra)


@pytest.mark.parametrize('beta,gamma,tau', [(1.0, 1.0, 4.0),
                                            (2.0, 0.5, 1.0)])
def test_dist_matches_float64_reference(beta, gamma, tau):
    torch.manual_seed(0)
    preds_S, preds_T = torch.randn(6, 5) * 2, torch.randn(6, 5) * 2
    loss = dist_loss(preds_S, preds_T, beta, gamma, tau)
    assert loss.item() == pytest.approx(
        dist_reference(preds_S, preds_T, beta, gamma, tau), rel=1e-5)


def test_dist_by_hand():
    # tau = 1. Logits [ln 3, 0] give p = [3/4, 1/4], [ln 1.5, 0] give
    # [3/5, 2/5]. Two-class rows (and two-sample columns) correlate with
    # +1 or -1 only: the sign of their slopes.
    high_3, high_15 = [math.log(3.0), 0.0], [math.log(1.5), 0.0]
    low_3, low_15 = high_3[::-1], high_15[::-1]
    # Same orderings everywhere: inter = intra = 0, although p^S != p^T.
    loss = dist_loss(torch.tensor([high_15, low_15]),
                     torch.tensor([high_3, low_3]), tau=1.0)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    # Rows correlate +1 and -1: inter = 1. Teacher columns are constant,
    # so their correlation counts as 0: intra = 1.
    loss = dist_loss(torch.tensor([high_3, low_3]),
                     torch.tensor([high_3, high_3]), beta=2.0, gamma=0.5,
                     tau=1.0)
    assert loss.item() == pytest.approx(2.0 * 1 + 0.5 * 1, rel=1e-6)


def test_pearson_of_constant_rows_is_zero_with_finite_gradient():
    a = torch.ones(2, 4, requires_grad=True)
    r = pearson_correlation(a, torch.randn(2, 4))
    r.sum().backward()
    assert torch.equal(r.detach(), torch.zeros(2))
    assert torch.isfinite(a.grad).all()


def test_dist_module_passes_its_hyper_parameters():
    preds_S, preds_T = torch.randn(3, 6), torch.randn(3, 6)
    loss = DISTLoss(beta=2.0, gamma=0.5, tau=1.0, loss_weight=0.25)
    expected = 0.25 * dist_loss(preds_S, preds_T, 2.0, 0.5, 1.0)
    assert loss(preds_S, preds_T).item() == pytest.approx(
        expected.item(), rel=1e-6)
