"""Graph pieces of the VRM loss: node z-scoring, edge matching, pruning.

Edges join two node sets: all pairs ``(i, j)`` of rows ``a_i`` and ``b_j``,
or, when ``b`` is omitted, the pairs ``i < j`` of the rows of ``a``. Every
helper returns per-edge values as an ``|a| x |b|`` matrix (``|a| x |a|``
when ``b`` is omitted: then only the strict upper triangle, see
:func:`upper_mask`, holds edges, and the other entries are finite but
meaningless), so losses, UEP scores and masks line up.
"""

import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from .utils import safe_normalize

# Elements of one materialised chunk of difference vectors in ``huber``
# mode: 2**21 float32 values are 8 MB, a handful of such tensors are alive.
_CHUNK_ELEMENTS = 2**21


def zscore_rows(x: Tensor, eps: float) -> Tensor:
    """``(x - mean) / (std + eps)`` per row, population std.

    The square root is taken only where the variance is positive, so a
    constant row maps to zeros with a finite (zero) gradient.
    """
    centred = x - x.mean(dim=1, keepdim=True)
    var = centred.pow(2).mean(dim=1, keepdim=True)
    positive = var > 0
    std = torch.where(positive, torch.where(positive, var, 1.0).sqrt(), 0.0)
    return centred / (std + eps)


def upper_mask(n: int, device: torch.device) -> Tensor:
    """The pairs ``i < j`` of ``n`` nodes, as an ``n x n`` boolean mask."""
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(1)


def masked_sum(values: Tensor, mask: Optional[Tensor]) -> Tensor:
    """Sum of ``values`` where ``mask`` is true (everywhere if ``None``)."""
    return values.sum() if mask is None else torch.where(mask, values,
                                                         0.0).sum()


def _inverse_lengths(x_a: Tensor, x_b: Tensor,
                     eps: float) -> Tuple[Tensor, Tensor]:
    """``1 / ||x_m - x_n||`` for all rows m of ``x_a``, n of ``x_b``.

    Squared lengths come from ``||x_m||^2 + ||x_n||^2 - 2 <x_m, x_n>``. An
    edge is degenerate (inverse length 0, no gradient) when its squared
    length is at most ``eps**2`` or within the rounding error of that sum,
    a small multiple of ``||x_m||^2 + ||x_n||^2``; ``rsqrt`` only sees
    lengths above that floor.

    Returns:
        The inverse lengths and the mask of non-degenerate edges.
    """
    sq_a, sq_b = (x_a * x_a).sum(1), (x_b * x_b).sum(1)
    length2 = torch.addmm(sq_a[:, None] + sq_b[None], x_a, x_b.T, alpha=-2)
    with torch.no_grad():
        floor = sq_a[:, None] + sq_b[None]
        floor.mul_(32 * torch.finfo(floor.dtype).eps).clamp_min_(eps * eps)
        live = length2 > floor
        del floor
    inverse = torch.where(live, length2, 1.0).rsqrt()
    return torch.where(live, inverse, 0.0), live


def mse_edge_losses(s_a: Tensor,
                    t_a: Tensor,
                    s_b: Optional[Tensor] = None,
                    t_b: Optional[Tensor] = None,
                    eps: float = 1e-8) -> Tensor:
    """Squared distance of unit student/teacher edges, via inner products.

    Returns the ``|a| x |b|`` matrix of per-edge losses. With unit (or
    zero) edges ``l = |e_S|^2 + |e_T|^2 - 2 <e_S, e_T>``, where
    ``<S_m - S_n, T_m - T_n> = P_mm - P_mn - P_nm + P_nn`` with
    ``P = S T^T`` and ``||S_m - S_n||^2 = G_mm + G_nn - 2 G_mn`` with
    ``G = S S^T``: only ``|a| x |b|`` matrices are formed.
    """
    if s_b is None:
        s_b, t_b = s_a, t_a
    with torch.no_grad():
        inv_t, live_t = _inverse_lengths(t_a, t_b, eps)
    inv_s, live_s = _inverse_lengths(s_a, s_b, eps)
    dot = ((s_a * t_a).sum(1)[:, None] + (s_b * t_b).sum(1)[None]).addmm_(
        s_a, t_b.T, alpha=-1).addmm_(t_a, s_b.T, alpha=-1)
    units = live_s.to(dot.dtype).add_(live_t)
    return torch.addcmul(units, dot * inv_s, inv_t, value=-2)


def _huber_block(s_rows: Tensor, t_rows: Tensor, s_cols: Tensor,
                 t_cols: Tensor, delta: float, eps: float) -> Tensor:
    e_s = safe_normalize(s_rows[:, None] - s_cols[None], eps=eps)
    e_t = safe_normalize(t_rows[:, None] - t_cols[None], eps=eps)
    return F.huber_loss(e_s, e_t, reduction='none', delta=delta).sum(-1)


def huber_edge_losses(s_a: Tensor,
                      t_a: Tensor,
                      s_b: Optional[Tensor] = None,
                      t_b: Optional[Tensor] = None,
                      delta: float = 1.0,
                      eps: float = 1e-8) -> Tensor:
    """``sum_k huber_delta(e_S - e_T)_k`` per edge, from materialised edges.

    Returns the ``|a| x |b|`` matrix of per-edge losses. The difference
    vectors are built a block of rows at a time; under autograd each block
    is checkpointed (recomputed in backward), so memory stays at one block
    rather than the whole edge tensor.
    """
    symmetric = s_b is None
    if symmetric:
        s_b, t_b = s_a, t_a
    n_cols, n_classes = s_b.shape
    step = max(1, _CHUNK_ELEMENTS // (n_cols * n_classes))
    recompute = torch.is_grad_enabled() and s_a.requires_grad
    parts = []
    for start in range(0, s_a.shape[0], step):
        stop = min(start + step, s_a.shape[0])
        # in the symmetric case columns before `start` hold no i < j edge
        first = start if symmetric else 0
        args = (s_a[start:stop], t_a[start:stop], s_b[first:], t_b[first:],
                delta, eps)
        if recompute:
            block = checkpoint(_huber_block, *args, use_reentrant=False)
        else:
            block = _huber_block(*args)
        parts.append(F.pad(block, (first, 0)))
    return torch.cat(parts)


@torch.no_grad()
def uep_scores(raw_a: Tensor,
               raw_b: Optional[Tensor] = None,
               mode: str = 'cross_entropy') -> Tensor:
    """Unreliability of each edge from the endpoints' softmax predictions.

    ``cross_entropy``: ``(H(p_m, p_n) + H(p_n, p_m)) / 2``;
    ``entropy_sum``: ``H(p_m) + H(p_n)``; ``H(p, q) = -sum_k p_k log q_k``.
    """
    if raw_b is None:
        raw_b = raw_a
    logp_a, logp_b = raw_a.log_softmax(1), raw_b.log_softmax(1)
    p_a, p_b = logp_a.exp(), logp_b.exp()
    if mode == 'cross_entropy':
        scores = -0.5 * (p_a @ logp_b.T + logp_a @ p_b.T)
    else:
        h_a, h_b = -(p_a * logp_a).sum(1), -(p_b * logp_b).sum(1)
        scores = h_a[:, None] + h_b[None]
    return scores


def num_pruned(num_edges: int, ratio: float) -> int:
    """``ceil(ratio * num_edges)``, keeping at least one edge.

    The product is rounded to 6 decimals first so that e.g.
    ``0.1 * 30 = 3.0000000000000004`` prunes 3 edges, not 4.
    """
    return min(math.ceil(round(ratio * num_edges, 6)), num_edges - 1)


def keep_mask(scores: Tensor, pruned: int,
              edges: Optional[Tensor]) -> Tensor:
    """Mask of the edges left after dropping the ``pruned`` highest scores.

    Args:
        scores: Per-edge scores (matrix).
        pruned: How many edges to drop; ties are broken by ``torch.topk``.
        edges: Mask of the entries that are edges, ``None`` for all.
    """
    if edges is None:
        keep = torch.ones_like(scores, dtype=torch.bool)
    else:
        keep = edges.clone()
        scores = scores.masked_fill(~edges, -math.inf)
    keep.view(-1)[scores.flatten().topk(pruned).indices] = False
    return keep


def num_is_edges(batch: int, is_edges: str) -> int:
    """IS edges of a batch: ``B^2`` (``cross``) or ``B(2B - 1)`` (``upper``,
    every pair of the 2B nodes)."""
    return batch * batch if is_edges == 'cross' else batch * (2 * batch - 1)


def kept_is_edges(s_raw: Tensor, batch: int, is_edges: str, uep: str,
                  pruned: int) -> Optional[Tensor]:
    """Mask of the IS edges VRM matches; ``None`` for all ``B x B``.

    ``cross`` edges are the ``B x B`` real-virtual pairs, ``upper`` the
    strict upper triangle of the ``2B x 2B`` pairs; then the ``pruned``
    edges with the highest :func:`uep_scores` of the student's raw
    predictions ``s_raw`` (real rows, then virtual rows) are dropped.
    """
    keep = None if is_edges == 'cross' else upper_mask(2 * batch,
                                                        s_raw.device)
    if pruned > 0:
        scores = uep_scores(*edge_sets(s_raw, batch, is_edges), mode=uep)
        keep = keep_mask(scores, pruned, keep)
    return keep


def edge_sets(u: Tensor, batch: int,
              is_edges: str) -> Tuple[Tensor, Optional[Tensor]]:
    """Split the 2B nodes into the two IS edge endpoint sets.

    ``cross`` joins real rows ``u[:B]`` to virtual rows ``u[B:]``;
    ``upper`` joins every pair of the 2B rows (second set ``None``).
    """
    if is_edges == 'cross':
        return u[:batch], u[batch:]
    return u, None
