"""Properties of vrm_loss listed in docs/vrm_method.md, edge statistics,
argument checks and float32 computation under autocast."""

import math
from fractions import Fraction

import pytest
import torch

from vrm_mm.models.losses.vrm import vrm_loss

GRAPHS = [(match, edges) for match in ('mse', 'huber')
          for edges in ('cross', 'upper')]


def views(batch=5, classes=4, seed=0):
    """Student (requiring grad) and teacher logits, real then virtual."""
    gen = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(4, batch, classes, generator=gen, dtype=torch.float64)
    return [v.clone().requires_grad_(i < 2) for i, v in enumerate(x)]


def total(out):
    return out['loss_vrm_is'] + out['loss_vrm_ic']


def loss_and_grads(s_real, s_virtual, t_real, t_virtual, **kwargs):
    loss = total(vrm_loss(s_real, s_virtual, t_real, t_virtual, **kwargs))
    return loss, torch.autograd.grad(loss, (s_real, s_virtual))


@pytest.mark.parametrize('match,is_edges', GRAPHS)
@pytest.mark.parametrize('uep', ['cross_entropy', 'none'])
def test_identical_teacher_and_student_give_zero(match, is_edges, uep):
    s_real, s_virtual, _, _ = views()
    loss, grads = loss_and_grads(s_real, s_virtual, s_real.detach(),
                                 s_virtual.detach(), match=match,
                                 is_edges=is_edges, uep=uep)
    assert abs(loss.item()) < 1e-12
    for g in grads:
        assert g.abs().max() < 1e-10


@pytest.mark.parametrize('match,is_edges', GRAPHS)
def test_shift_and_scale_invariance_with_zscore(match, is_edges):
    s_real, s_virtual, t_real, t_virtual = views()
    gen = torch.Generator().manual_seed(5)

    def shifted(x):
        return x + 10 * torch.randn(x.shape[0], 1, generator=gen,
                                    dtype=x.dtype)

    base = vrm_loss(s_real, s_virtual, t_real, t_virtual, match=match,
                    is_edges=is_edges)
    # a constant per row leaves the softmax, hence UEP, unchanged too
    moved = vrm_loss(shifted(s_real), shifted(s_virtual), shifted(t_real),
                     shifted(t_virtual), match=match, is_edges=is_edges)
    torch.testing.assert_close(total(moved), total(base))
    # scaling the student changes its softmax, so UEP may pick other edges:
    # the invariance is for the matching itself (uep='none')
    kwargs = dict(match=match, is_edges=is_edges, uep='none')
    base = vrm_loss(s_real, s_virtual, t_real, t_virtual, **kwargs)
    scaled = vrm_loss(7 * s_real, 7 * s_virtual, 0.2 * t_real,
                      0.2 * t_virtual, **kwargs)
    torch.testing.assert_close(total(scaled), total(base))


@pytest.mark.parametrize('match,is_edges', GRAPHS)
def test_edges_are_scale_free_without_zscore(match, is_edges):
    s_real, s_virtual, t_real, t_virtual = views()
    kwargs = dict(match=match, is_edges=is_edges, uep='none', zscore=False)
    base, base_grads = loss_and_grads(s_real, s_virtual, t_real, t_virtual,
                                      **kwargs)
    scaled, grads = loss_and_grads(s_real, s_virtual, 3 * t_real,
                                   3 * t_virtual, **kwargs)
    torch.testing.assert_close(scaled, base)
    for got, want in zip(grads, base_grads):
        torch.testing.assert_close(got, want)
    scaled = total(vrm_loss(5 * s_real, 5 * s_virtual, t_real, t_virtual,
                            **kwargs))
    torch.testing.assert_close(scaled, base)


@pytest.mark.parametrize('match', ['mse', 'huber'])
def test_gradient_reaches_only_student_logits(match):
    s_real, s_virtual, t_real, t_virtual = views()
    t_real.requires_grad_(True)
    t_virtual.requires_grad_(True)
    total(vrm_loss(s_real, s_virtual, t_real, t_virtual,
                   match=match)).backward()
    assert t_real.grad is None and t_virtual.grad is None
    assert s_real.grad.abs().sum() > 0 and s_virtual.grad.abs().sum() > 0


def outlier_batch(uep, batch=4, classes=3):
    """Real node 0 is the most unreliable under ``uep``.

    Other nodes confidently predict class 1. For ``cross_entropy`` node 0
    confidently predicts class 0 (disagreement); for ``entropy_sum`` it is
    uncertain (high entropy). In the cross graph node 0 is an endpoint of
    exactly ``batch`` edges, the ``batch`` highest-scoring ones.
    """
    s_real, s_virtual, t_real, t_virtual = views(batch, classes, seed=3)
    with torch.no_grad():
        for x in (s_real, s_virtual):
            x.mul_(0.1)[:, 1] += 8
        s_real[0] = 0
        if uep == 'cross_entropy':
            s_real[0, 0] = 8
    return s_real, s_virtual, t_real, t_virtual


@pytest.mark.parametrize('match', ['mse', 'huber'])
@pytest.mark.parametrize('uep', ['cross_entropy', 'entropy_sum'])
def test_pruned_edges_contribute_nothing(match, uep):
    batch = 4
    s_real, s_virtual, t_real, t_virtual = outlier_batch(uep, batch)
    # ratio 1/B prunes ceil(B*B / B) = B edges: exactly node 0's edges
    kwargs = dict(match=match, uep=uep, beta=0.0, is_edges='cross')
    pruned = vrm_loss(s_real, s_virtual, t_real, t_virtual,
                      uep_ratio=1 / batch, **kwargs)
    full = vrm_loss(s_real, s_virtual, t_real, t_virtual, uep_ratio=0.0,
                    **kwargs)
    assert pruned['vrm_edges_pruned'].item() == batch
    grad_pruned = torch.autograd.grad(pruned['loss_vrm_is'], s_real)[0]
    grad_full = torch.autograd.grad(full['loss_vrm_is'], s_real)[0]
    assert grad_full[0].abs().sum() > 1e-3
    assert torch.all(grad_pruned[0] == 0)
    assert grad_pruned[1:].abs().sum() > 1e-3

    # the teacher's node 0 only enters through pruned edges
    t_moved = t_real.clone()
    t_moved[0] = torch.tensor([5.0, -2.0, 1.0], dtype=t_real.dtype)
    moved = vrm_loss(s_real, s_virtual, t_moved, t_virtual,
                     uep_ratio=1 / batch, **kwargs)
    torch.testing.assert_close(moved['loss_vrm_is'], pruned['loss_vrm_is'])
    moved_full = vrm_loss(s_real, s_virtual, t_moved, t_virtual,
                          uep_ratio=0.0, **kwargs)
    assert abs(moved_full['loss_vrm_is'] - full['loss_vrm_is']) > 1e-3


@pytest.mark.parametrize('match', ['mse', 'huber'])
def test_upper_graph_is_symmetric_in_node_order(match):
    s_real, s_virtual, t_real, t_virtual = views()
    kwargs = dict(match=match, is_edges='upper', uep='none')
    base = total(vrm_loss(s_real, s_virtual, t_real, t_virtual, **kwargs))
    s_nodes = torch.cat([s_real, s_virtual])
    t_nodes = torch.cat([t_real, t_virtual])
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(1))
    s_real2, s_virtual2 = s_nodes[perm].chunk(2)
    t_real2, t_virtual2 = t_nodes[perm].chunk(2)
    permuted = total(
        vrm_loss(s_real2, s_virtual2, t_real2, t_virtual2, **kwargs))
    torch.testing.assert_close(permuted, base)


@pytest.mark.parametrize('match,is_edges', GRAPHS)
def test_batch_order_and_view_swap_do_not_matter(match, is_edges):
    # also with pruning, and in the cross graph: a consistent batch
    # permutation permutes the edges, and swapping the views flips every
    # edge of both teacher and student
    s_real, s_virtual, t_real, t_virtual = views()
    kwargs = dict(match=match, is_edges=is_edges, uep_ratio=0.2)
    base = total(vrm_loss(s_real, s_virtual, t_real, t_virtual, **kwargs))
    perm = torch.tensor([3, 0, 4, 1, 2])
    permuted = total(
        vrm_loss(s_real[perm], s_virtual[perm], t_real[perm],
                 t_virtual[perm], **kwargs))
    swapped = total(vrm_loss(s_virtual, s_real, t_virtual, t_real, **kwargs))
    torch.testing.assert_close(permuted, base)
    torch.testing.assert_close(swapped, base)


@pytest.mark.parametrize('match,is_edges', GRAPHS)
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_identical_nodes_stay_finite(match, is_edges, dtype):
    s_real, s_virtual, t_real, t_virtual = (x.detach().to(dtype)
                                            for x in views())
    s_real[1] = s_real[0]
    s_virtual[0] = s_real[0]
    s_virtual[2] = 4.0  # a constant row: zero after z-scoring
    s_real[2] = 4.0
    t_real[1] = t_real[0]
    for zscore in (True, False):
        a, b = s_real.clone().requires_grad_(), s_virtual.clone()
        b.requires_grad_()
        out = vrm_loss(a, b, t_real, t_virtual, match=match,
                       is_edges=is_edges, zscore=zscore)
        total(out).backward()
        assert torch.isfinite(total(out))
        assert torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all()
        # identical teacher and student still match exactly
        out = vrm_loss(a, b, a.detach(), b.detach(), match=match,
                       is_edges=is_edges, zscore=zscore)
        grads = torch.autograd.grad(total(out), (a, b))
        assert abs(total(out).item()) < 1e-5
        assert all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize('is_edges,count', [('cross', lambda b: b * b),
                                            ('upper',
                                             lambda b: b * (2 * b - 1))])
@pytest.mark.parametrize('batch', [2, 5, 8])
@pytest.mark.parametrize('ratio', [0.0, 0.1, 0.3, 0.5])
def test_edge_counts(is_edges, count, batch, ratio):
    x = torch.randn(batch, 3)
    out = vrm_loss(x, x + 1, x.flip(1), x, is_edges=is_edges,
                   uep_ratio=ratio)
    n = count(batch)
    expected = math.ceil(Fraction(str(ratio)) * n)
    assert out['vrm_edges_pruned'].item() == expected
    assert out['vrm_edges_kept'].item() + expected == n
    assert not out['vrm_edges_kept'].requires_grad
    none = vrm_loss(x, x + 1, x.flip(1), x, is_edges=is_edges, uep='none',
                    uep_ratio=ratio)
    assert none['vrm_edges_pruned'].item() == 0
    assert none['vrm_edges_kept'].item() == n


def test_at_least_one_edge_is_kept():
    x = torch.randn(2, 3)
    out = vrm_loss(x, x + 1, x, x, uep_ratio=0.99)
    assert out['vrm_edges_kept'].item() == 1
    assert torch.isfinite(out['loss_vrm_is'])


@pytest.mark.parametrize('kwargs,message', [
    (dict(is_edges='lower'), "'cross', 'upper'"),
    (dict(uep='entropy'), "'cross_entropy', 'entropy_sum', 'none'"),
    (dict(match='l1'), "'mse', 'huber'"),
    (dict(uep_ratio=1.0), r'\[0, 1\)'),
    (dict(huber_delta=0.0), 'positive'),
])
def test_rejects_bad_options(kwargs, message):
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match=message):
        vrm_loss(x, x, x, x, **kwargs)


def test_rejects_bad_inputs():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match='at least 2 samples.*drop_last'):
        vrm_loss(x[:1], x[:1], x[:1], x[:1])
    with pytest.raises(ValueError, match=r'\(4, 3\).*\(4, 2\)'):
        vrm_loss(x, x, x, x[:, :2])
    with pytest.raises(ValueError, match='at least 2 classes'):
        vrm_loss(x[:, :1], x[:, :1], x[:, :1], x[:, :1])
    with pytest.raises(TypeError, match='floating-point Tensor'):
        vrm_loss(x, x, x, x.long())


@pytest.mark.parametrize('match', ['mse', 'huber'])
def test_computes_in_float32_under_autocast(match):
    s_real, s_virtual, t_real, t_virtual = (x.detach().bfloat16()
                                            for x in views())
    s_real.requires_grad_(True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = vrm_loss(s_real, s_virtual, t_real, t_virtual, match=match)
    want = vrm_loss(*(x.detach().float()
                      for x in (s_real, s_virtual, t_real, t_virtual)),
                    match=match)
    for key in ('loss_vrm_is', 'loss_vrm_ic'):
        assert out[key].dtype == torch.float32
        torch.testing.assert_close(out[key], want[key])
    total(out).backward()
    assert torch.isfinite(s_real.grad.float()).all()
