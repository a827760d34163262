"""vrm_loss against a direct, materialised reference and the spec's
properties (docs/vrm_method.md)."""

import math
from fractions import Fraction

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from vrm_mm.models.losses import vrm_graphs
from vrm_mm.models.losses.vrm import vrm_loss

MODES = [(match, edges, uep) for match in ('mse', 'huber')
         for edges in ('cross', 'upper')
         for uep in ('cross_entropy', 'entropy_sum', 'none')]


def logits(batch=4, classes=3, seed=0, grad=True):
    """Student (requires grad) and teacher logits, real and virtual."""
    gen = torch.Generator().manual_seed(seed)
    views = [
        torch.randn(batch, classes, generator=gen, dtype=torch.float64) * 2
        for _ in range(4)
    ]
    for x in views[:2]:
        x.requires_grad_(grad)
    return views


def total(out):
    return out['loss_vrm_is'] + out['loss_vrm_ic']


def reference(s_real, s_virtual, t_real, t_virtual, *, is_edges, uep,
              uep_ratio, match, zscore=True, huber_delta=1.0, eps=1e-8):
    """Every edge vector built explicitly, one pair at a time."""

    def norm(x):
        if not zscore:
            return x
        mean = x.mean(1, keepdim=True)
        return (x - mean) / (x.std(1, unbiased=False, keepdim=True) + eps)

    def unit(d):
        return d / d.norm().clamp_min(eps)

    def edge(ds, dt):
        d = unit(ds) - unit(dt)
        if match == 'mse':
            return (d**2).sum()
        small = d.abs() <= huber_delta
        return torch.where(small, 0.5 * d**2, huber_delta *
                           (d.abs() - 0.5 * huber_delta)).sum()

    raw = torch.cat([s_real, s_virtual])
    us, ut = norm(raw), norm(torch.cat([t_real, t_virtual]).detach())
    b = s_real.shape[0]
    if is_edges == 'cross':
        pairs = [(i, b + j) for i in range(b) for j in range(b)]
    else:
        pairs = [(m, n) for m in range(2 * b) for n in range(m + 1, 2 * b)]
    losses = [edge(us[m] - us[n], ut[m] - ut[n]) for m, n in pairs]

    p = raw.detach().softmax(1)

    def cross_h(m, n):
        return -(p[m] * p[n].log()).sum()

    def score(m, n):
        if uep == 'cross_entropy':
            return float(cross_h(m, n) + cross_h(n, m)) / 2
        return float(cross_h(m, m) + cross_h(n, n))

    pruned = 0
    if uep != 'none':
        pruned = math.ceil(Fraction(str(uep_ratio)) * len(pairs))
    ranked = sorted(range(len(pairs)), key=lambda k: -score(*pairs[k]))
    kept = sorted(ranked[pruned:])
    loss_is = torch.stack([losses[k] for k in kept]).mean()
    c = raw.shape[1]
    loss_ic = torch.stack([
        edge(us[:, i] - us[:, j], ut[:, i] - ut[:, j]) for i in range(c)
        for j in range(i + 1, c)
    ]).mean()
    return loss_is, loss_ic, len(kept), pruned


@pytest.mark.parametrize('match,is_edges,uep', MODES)
@pytest.mark.parametrize('zscore', [True, False])
def test_matches_materialised_reference(match, is_edges, uep, zscore,
                                        monkeypatch):
    # one row per huber block, so the chunked path runs many blocks
    monkeypatch.setattr(vrm_graphs, '_CHUNK_ELEMENTS', 1)
    kwargs = dict(is_edges=is_edges, uep=uep, uep_ratio=0.3, match=match)
    views = logits(batch=4, classes=5)
    out = vrm_loss(*views, alpha=0.7, beta=1.3, zscore=zscore, **kwargs)
    grads = torch.autograd.grad(total(out), views[:2])
    ref_is, ref_ic, kept, pruned = reference(*views, zscore=zscore, **kwargs)
    ref_grads = torch.autograd.grad(0.7 * ref_is + 1.3 * ref_ic, views[:2])

    torch.testing.assert_close(out['loss_vrm_is'], 0.7 * ref_is)
    torch.testing.assert_close(out['loss_vrm_ic'], 1.3 * ref_ic)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want)
    assert out['vrm_edges_kept'].item() == kept
    assert out['vrm_edges_pruned'].item() == pruned


@pytest.mark.parametrize('match', ['mse', 'huber'])
@pytest.mark.parametrize('is_edges', ['cross', 'upper'])
@pytest.mark.parametrize('uep', ['none', 'cross_entropy'])
def test_gradcheck(match, is_edges, uep, monkeypatch):
    monkeypatch.setattr(vrm_graphs, '_CHUNK_ELEMENTS', 1)
    s_real, s_virtual, t_real, t_virtual = logits(batch=3, classes=3, seed=1)

    def fn(a, b):
        return total(
            vrm_loss(a, b, t_real, t_virtual, is_edges=is_edges, uep=uep,
                     uep_ratio=0.2, match=match))

    assert torch.autograd.gradcheck(fn, (s_real, s_virtual))


def test_huber_is_half_mse_when_delta_covers_edge_differences():
    s_real, s_virtual, t_real, t_virtual = logits(batch=2, classes=3, seed=2)
    # a teacher near the negated student makes components of d near 2
    views = (s_real, s_virtual, 0.3 * t_real - s_real.detach(),
             0.3 * t_virtual - s_virtual.detach())
    kwargs = dict(is_edges='upper', uep='none')
    mse = vrm_loss(*views, match='mse', **kwargs)
    wide = vrm_loss(*views, match='huber', huber_delta=2.0, **kwargs)
    narrow = vrm_loss(*views, match='huber', huber_delta=1.0, **kwargs)
    for key in ('loss_vrm_is', 'loss_vrm_ic'):
        # |d_k| <= 2, so delta = 2 keeps every component quadratic
        torch.testing.assert_close(wide[key], 0.5 * mse[key])
        # components beyond 1 exist here, so delta = 1 is strictly smaller
        assert narrow[key] < 0.5 * mse[key] - 1e-3


def test_hand_computed_two_by_two():
    # zscore off, B = 2, C = 2. Node order [r0, r1, v0, v1].
    # Student r0=(0,0) r1=(1,0) v0=(0,1) v1=(1,1); the teacher swaps v0, v1.
    # Unit IS edges r_i - v_j:
    #   S: (0,-1), (-1,-1)/r2, (1,-1)/r2, (0,-1)
    #   T: (-1,-1)/r2, (0,-1), (0,-1), (1,-1)/r2     (r2 = sqrt 2)
    # every pair has cos = 1/r2, so l = 2 - 2 cos = 2 - r2 and
    # L_IS = 2 - sqrt 2. IC: class columns over the 4 nodes,
    #   S: w0 - w1 = (0,1,-1,0),  T: w0 - w1 = (0,1,0,-1);
    # cos = 1/2, l = 2 - 1 = 1 = L_IC. Every |d_k| <= 1, so huber = mse / 2.
    s_real = torch.tensor([[0., 0.], [1., 0.]], dtype=torch.float64)
    s_virtual = torch.tensor([[0., 1.], [1., 1.]], dtype=torch.float64)
    t_virtual = s_virtual.flip(0)
    kwargs = dict(zscore=False, uep='none')
    out = vrm_loss(s_real, s_virtual, s_real, t_virtual, **kwargs)
    assert out['loss_vrm_is'].item() == pytest.approx(2 - math.sqrt(2))
    assert out['loss_vrm_ic'].item() == pytest.approx(1.0)
    out = vrm_loss(s_real, s_virtual, s_real, t_virtual, match='huber',
                   **kwargs)
    assert out['loss_vrm_is'].item() == pytest.approx(1 - math.sqrt(2) / 2)
    assert out['loss_vrm_ic'].item() == pytest.approx(0.5)

    # Teacher = -student flips every edge: d = 2 e_S, mse l = 4.
    # huber_1(2 x) per component: e_S = (0,-1) -> 2 - 1/2 = 1.5;
    # e_S = (+-1,-1)/r2 -> 2 (r2 - 1/2) = 2 r2 - 1. IS mean over the
    # four edges: (1.5 + 2 r2 - 1 + 2 r2 - 1 + 1.5) / 4 = 1/4 + r2.
    # IC: e_S = (0,1,-1,0)/r2 -> 2 r2 - 1.
    out = vrm_loss(s_real, s_virtual, -s_real, -s_virtual, match='huber',
                   **kwargs)
    assert out['loss_vrm_is'].item() == pytest.approx(0.25 + math.sqrt(2))
    assert out['loss_vrm_ic'].item() == pytest.approx(2 * math.sqrt(2) - 1)
    out = vrm_loss(s_real, s_virtual, -s_real, -s_virtual, **kwargs)
    assert out['loss_vrm_is'].item() == pytest.approx(4.0)
    assert out['loss_vrm_ic'].item() == pytest.approx(4.0)


class LargestTensor(TorchDispatchMode):
    """Records the largest tensor any operator returns."""

    def __init__(self):
        super().__init__()
        self.numel = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for x in tree_flatten(out)[0]:
            if isinstance(x, torch.Tensor):
                self.numel = max(self.numel, x.numel())
        return out


@pytest.mark.parametrize('is_edges', ['cross', 'upper'])
def test_mse_forms_no_edge_tensor(is_edges):
    batch, classes = 16, 12
    views = logits(batch, classes)
    with LargestTensor() as largest:
        total(vrm_loss(*views, is_edges=is_edges)).backward()
    # B x B x C = 3072 and C x C x 2B = 4608 elements would be the edges
    assert largest.numel <= max(4 * batch**2, classes**2, 2 * batch * classes)


@pytest.mark.parametrize('is_edges', ['cross', 'upper'])
def test_huber_materialises_bounded_blocks(is_edges, monkeypatch):
    monkeypatch.setattr(vrm_graphs, '_CHUNK_ELEMENTS', 400)
    batch, classes = 16, 12
    views = logits(batch, classes)
    with LargestTensor() as largest:
        total(vrm_loss(*views, is_edges=is_edges,
                       match='huber')).backward()
    # blocks (at least one row, 2B x C) and the 2B x 2B UEP scores; the
    # whole IS and IC edge tensors would hold 12288 and 4608 elements
    assert largest.numel <= max(400, 4 * batch**2, 2 * batch * classes)
