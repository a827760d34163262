"""Loss landscape around trained weights (Li et al., "Visualizing the Loss
Landscape of Neural Nets", NeurIPS 2018).

The loss is evaluated at ``theta + a * d1 (+ b * d2)`` for random
directions ``d`` that are **filter-normalised**: ``d`` is drawn from
N(0, 1) with the parameter's shape, then each filter ``d_i`` (a slice along
the first, output dimension of a conv or linear weight) is rescaled to the
norm of the same filter of the weights, ``d_i <- d_i / ||d_i|| *
||theta_i||``. Parameters with at most one dimension (BatchNorm scales and
shifts, biases) get a zero direction, the paper's ``ignore biasbn``
setting; BatchNorm's running statistics are buffers and stay as trained
(eval mode). One step ``a = 1`` thus moves every filter by its own norm.

Sharpness, read off the 1-D curves: ``rise`` = the mean of ``L(-s)`` and
``L(+s)`` minus ``L(0)`` at the fixed step ``s = RISE_STEP``, and
``curvature`` = ``2 c2`` of the least-squares quadratic
``c0 + c1 a + c2 a^2`` through the points with ``|a| <= RISE_STEP``. Both
are averaged over the directions; lower = flatter.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

RISE_STEP = 0.25  # chosen before any run: a quarter of each filter's norm


def filter_normalised_direction(model: nn.Module,
                                generator: torch.Generator
                                ) -> Dict[str, Tensor]:
    """One random direction per parameter, filter-normalised (module
    docstring); zero for parameters with at most one dimension."""
    direction = {}
    for name, weight in model.named_parameters():
        if weight.dim() <= 1:  # BN and biases: zero (Li et al., biasbn)
            direction[name] = torch.zeros_like(weight)
            continue
        d = torch.randn(weight.shape, generator=generator,
                        dtype=weight.dtype)
        d_norm = d.flatten(1).norm(dim=1)
        w_norm = weight.detach().flatten(1).norm(dim=1)
        scale = w_norm / d_norm.clamp_min(1e-10)
        direction[name] = d * scale.view(-1, *[1] * (d.dim() - 1))
    return direction


@torch.no_grad()
def mean_loss(model: nn.Module, batches: Sequence[Tuple[Tensor,
                                                        Tensor]]) -> float:
    """Cross-entropy over every sample of ``batches`` (eval mode)."""
    total, count = 0.0, 0
    for inputs, labels in batches:
        logits = model(inputs, mode='tensor')
        total += float(F.cross_entropy(logits, labels, reduction='sum'))
        count += len(labels)
    return total / count


@torch.no_grad()
def losses_at(model: nn.Module, directions: List[Dict[str, Tensor]],
              coordinates: Sequence[Sequence[float]], batches) -> List[float]:
    """The loss at ``theta + sum_k c_k d_k`` for each coordinate tuple
    ``c``; the model's weights are restored afterwards."""
    params = dict(model.named_parameters())
    origin = {name: p.detach().clone() for name, p in params.items()}
    model.eval()
    values = []
    try:
        for coords in coordinates:
            for name, p in params.items():
                p.copy_(origin[name])
                for c, d in zip(coords, directions):
                    p.add_(d[name], alpha=float(c))
            values.append(mean_loss(model, batches))
    finally:
        for name, p in params.items():
            p.copy_(origin[name])
    return values


def sharpness(alphas: Sequence[float], losses: Sequence[float],
              step: float = RISE_STEP) -> Dict[str, float]:
    """``rise`` at ``+-step`` and ``curvature`` at 0 of one 1-D curve.

    Raises:
        ValueError: ``alphas`` lacks 0 or ``+-step``, or has fewer than 3
            points with ``|a| <= step`` for the quadratic.
    """
    alphas, losses = np.asarray(alphas, float), np.asarray(losses, float)

    def at(a):
        hit = np.flatnonzero(np.isclose(alphas, a))
        if not hit.size:
            raise ValueError(f'the 1-D grid has no point at alpha={a}; '
                             'use a grid through 0 and +-RISE_STEP.')
        return losses[hit[0]]
    near = np.abs(alphas) <= step + 1e-9
    if near.sum() < 3:
        raise ValueError(f'{near.sum()} grid points with |alpha| <= {step}; '
                         'the curvature needs 3: use a finer grid.')
    c2 = np.polyfit(alphas[near], losses[near], 2)[0]
    return dict(rise=float((at(-step) + at(step)) / 2 - at(0.0)),
                curvature=float(2 * c2))
