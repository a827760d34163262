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


def released_dist(z_s, z_t, beta, gamma, tau):
    """DIST as released (github.com/hunto/image_classification_sota,
    lib/models/losses/dist_kd.py lines 4-34), transcribed."""

    def pearson(a, b, eps=1e-8):
        a = a - a.mean(1).unsqueeze(1)
        b = b - b.mean(1).unsqueeze(1)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)

    y_s = (z_s / tau).softmax(dim=1)
    y_t = (z_t / tau).softmax(dim=1)
    inter = tau**2 * (1 - pearson(y_s, y_t).mean())
    intra = tau**2 * (1 - pearson(y_s.t(), y_t.t()).mean())
    return beta * inter + gamma * intra


@pytest.mark.parametrize('beta,gamma,tau,scale', [(1.0, 1.0, 4.0, 3.0),
                                                  (2.0, 0.5, 1.0, 1.0),
                                                  (1.0, 1.0, 1.0, 0.01)])
def test_dist_equals_released_in_float64(beta, gamma, tau, scale):
    """Value and gradient; ``scale`` 0.01 gives near-uniform softmax rows,
    where the placement of eps matters most."""
    torch.manual_seed(3)
    preds_S = (torch.randn(8, 10, dtype=torch.float64) *
               scale).requires_grad_()
    preds_T = torch.randn(8, 10, dtype=torch.float64) * scale
    loss = DISTLoss(beta=beta, gamma=gamma, tau=tau,
                    loss_weight=1.0)(preds_S, preds_T)
    assert loss.dtype == torch.float64
    ref = released_dist(preds_S, preds_T, beta, gamma, tau)
    (grad, ) = torch.autograd.grad(loss, preds_S)
    (ref_grad, ) = torch.autograd.grad(ref, preds_S)
    assert abs(loss.item() - ref.item()) <= 1e-6
    torch.testing.assert_close(grad, ref_grad, rtol=1e-6, atol=1e-9)


def test_pearson_adds_eps_to_the_product_of_norms():
    # a' = [-1, 1], b' = [-e, e]: <a', b'> = 2e, ||a'|| ||b'|| = 2e, so
    # r = 2e / (2e + 1e-8) (the former max(2e, 1e-8) gave 1 for e >= 5e-9)
    e = 1e-8
    a = torch.tensor([[0.0, 2.0]], dtype=torch.float64)
    b = torch.tensor([[1.0 - e, 1.0 + e]], dtype=torch.float64)
    r = pearson_correlation(a, b).item()
    assert r == pytest.approx(2 * e / (2 * e + 1e-8), rel=1e-6)


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
