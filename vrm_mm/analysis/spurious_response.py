"""How far one spurious sample's change travels through a distillation loss.

The paper's pilot study (vrm_method.md, "What the paper claims"): in relation
matching, one spurious prediction sends gradient to every sample of the batch
through the edges. For a batch of B samples and a sample i, let
``g_j = d L / d x_j`` be the gradient of a loss L with respect to sample j's
student-side inputs of L (every input the loss reads from the student: its
logits of each view, or the features, or the connector outputs it reads;
all of sample j's entries, flattened and concatenated). Make sample i
spurious, recompute, and let ``D_j = ||g_j(spurious) - g_j(clean)||_2``.
Then::

    ratio  = sum_{j != i} D_j / D_i       (change sent to the others, per
                                           unit of change at the sample)
    spread = sum_{j != i} D_j / sum_j ||g_j(clean)||_2

Both are 0 exactly for an instance-wise loss (``g_j`` depends on sample j
alone). Two ways to make sample i spurious:

* ``wrong``: its student logits (every view) get a confidently wrong class:
  the highest-scoring wrong class of its real view is raised to the row's
  maximum plus ``margin``. Defined for losses that read student logits.
* ``noise``: its image (every view, after the data preprocessor) is replaced
  by standard normal noise, i.e. pixel noise with the dataset's mean and
  std; teacher and student both see it, so every input of the loss changes.

The networks run in eval mode, so sample i's change reaches the other
samples through the loss alone (in train mode BatchNorm would couple them).
"""
from functools import partial
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from vrm_mm.models.distillers.named_inputs import CONNECTOR_PREFIX, input_names
from vrm_mm.models.losses.crd import CRDLoss
from vrm_mm.models.losses.vrm import VRMLoss
from vrm_mm.models.losses.vrm_graphs import (
    kept_is_edges,
    num_is_edges,
    num_pruned,
    upper_mask,
)

Values = Dict[str, object]  # input name -> Tensor or list of Tensors
MARGIN = 10.0  # logit units above the row's maximum: softmax ~1 - 4.5e-5
PERTURBATIONS = ('wrong', 'noise')


def capture_inputs(distiller: nn.Module, data: dict) -> Values:
    """Every named input the distiller's losses read, on one batch.

    Runs ``distiller.loss`` in eval mode without gradient and records the
    arguments each loss module is called with (the losses' results are
    dropped: rows of one loss type return the same keys).
    """
    values: Values = {}

    def recorder(key: str) -> Callable:
        def hook(module, args, kwargs, result):
            for arg, source in distiller.loss_inputs[key].items():
                value = kwargs[arg]
                if isinstance(source, str):
                    values[source] = value
                else:
                    values.update(zip(source, value))
            return {}
        return hook

    handles = [
        loss.register_forward_hook(recorder(key), with_kwargs=True)
        for key, loss in distiller.distill_losses.items()
    ]
    distiller.eval()
    try:
        with torch.no_grad():
            distiller.loss(data['inputs'], data['data_samples'])
    finally:
        for handle in handles:
            handle.remove()
    return values


def fix_first_batch_constants(distiller: nn.Module, data: dict) -> None:
    """Give losses that fix a constant on their first training batch (CRD's
    NCE normaliser ``Z``) that batch, as training does; in eval mode they
    would re-estimate it on every batch and couple the samples through it.
    (CRD's memory banks then also take the batch's rows, as in training.)
    """
    keys = [key for key, loss in distiller.distill_losses.items()
            if isinstance(loss, CRDLoss) and loss.z_S <= 0]
    if not keys:
        return
    values = capture_inputs(distiller, data)
    for key in keys:
        loss = distiller.distill_losses[key]
        kwargs = {arg: values[source]
                  for arg, source in distiller.loss_inputs[key].items()}
        loss.train()
        with torch.no_grad():
            loss(**kwargs)
        loss.eval()


def student_side(distiller: nn.Module, name: str) -> bool:
    """Whether input ``name`` is computed from the student."""
    if name.startswith(CONNECTOR_PREFIX):
        source = distiller.connector_inputs[name[len(CONNECTOR_PREFIX):]]
        return any(
            item.startswith('student.') for item in input_names(source))
    return name.startswith('student.')


def student_inputs(distiller: nn.Module, keys: Sequence[str]) -> List[str]:
    """The student-side inputs the losses ``keys`` read, sorted."""
    return sorted({
        name for key in keys
        for source in distiller.loss_inputs[key].values()
        for name in input_names(source) if student_side(distiller, name)
    })


def _tensors(value) -> List[Tensor]:
    return [value] if isinstance(value, Tensor) else list(value)


def per_sample_grads(losses: Mapping[str, nn.Module],
                     inputs: Mapping[str, Mapping[str, object]],
                     values: Values, differentiate: Sequence[str]) -> Tensor:
    """``g``: B x D, row j the gradient of the summed ``loss_*`` terms of
    ``losses`` w.r.t. sample j's entries of the inputs ``differentiate``.
    """
    leaves = {
        name: [x.detach().clone().requires_grad_(True)
               for x in _tensors(values[name])]
        for name in differentiate
    }

    def value(name: str):
        if name not in leaves:
            return values[name]
        item = leaves[name]
        return item[0] if isinstance(values[name], Tensor) else item

    total = 0
    for key, loss in losses.items():
        kwargs = {
            arg: value(source) if isinstance(source, str) else
            [value(item) for item in source]
            for arg, source in inputs[key].items()
        }
        result = loss(**kwargs)
        terms = {key: result} if isinstance(result, Tensor) else result
        total = total + sum(v for k, v in terms.items()
                            if k.startswith('loss_'))
    flat = [x for name in differentiate for x in leaves[name]]
    grads = torch.autograd.grad(total, flat, allow_unused=True)
    return torch.cat([
        (torch.zeros_like(x) if g is None else g).reshape(x.shape[0], -1)
        for x, g in zip(flat, grads)
    ], dim=1).double()


def spread(clean: Tensor, spurious: Tensor, index: int) -> Tuple[float,
                                                                  float]:
    """``(ratio, spread)`` of the module docstring; ratio is NaN when the
    spurious sample's own gradient did not change."""
    change = (spurious - clean).norm(dim=1)
    own = change[index]
    others = change.sum() - own
    ratio = (others / own).item() if own > 0 else float('nan')
    return ratio, (others / clean.norm(dim=1).sum()).item()


def wrong_logits(values: Values, index: int, labels: Tensor,
                 margin: float = MARGIN) -> Values:
    """``values`` with sample ``index``'s student logits (every view)
    confidently wrong (see the module docstring)."""
    real = values['student.logits'][index].clone()
    real[labels[index]] = -float('inf')
    wrong = int(real.argmax())
    out = dict(values)
    for name in values:
        if name.startswith('student.logits'):
            logits = values[name].clone()
            logits[index, wrong] = logits[index].max() + margin
            out[name] = logits
    return out


def noise_image(inputs, index: int, generator: torch.Generator):
    """The preprocessed ``inputs`` (a Tensor or a list of views) with
    sample ``index`` replaced by standard normal noise in every view."""
    views = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    noisy = []
    for view in views:
        view = view.clone()
        view[index] = torch.randn(view[index].shape, generator=generator,
                                  dtype=view.dtype).to(view.device)
        noisy.append(view)
    return noisy[0] if isinstance(inputs, Tensor) else noisy


def uep_pruned_share(loss: nn.Module, s_real: Tensor, s_virtual: Tensor,
                     index: int) -> Optional[float]:
    """Share of sample ``index``'s IS edges (those with one of its nodes as
    an endpoint) that a VRMLoss's unreliable-edge pruning drops; None for a
    loss that prunes none. An even pruning drops ``uep_ratio`` of them."""
    if not isinstance(loss, VRMLoss) or loss.graph_kwargs['uep'] == 'none':
        return None
    options, batch = loss.graph_kwargs, s_real.shape[0]
    is_edges = options['is_edges']
    pruned = num_pruned(num_is_edges(batch, is_edges), options['uep_ratio'])
    keep = kept_is_edges(torch.cat([s_real, s_virtual]).detach(), batch,
                         is_edges, options['uep'], pruned)
    if is_edges == 'cross':  # real i -> virtual j: row and column i
        edges, nodes = torch.ones_like(keep), [index]
    else:  # the upper triangle of the 2B nodes: real i and virtual i
        edges, nodes = upper_mask(2 * batch, keep.device), [index,
                                                             batch + index]
    touching = torch.zeros_like(edges)
    touching[nodes] = True
    touching[:, nodes] = True
    touching &= edges
    return ((~keep & touching).sum() / touching.sum()).item()


def measure_batch(distiller: nn.Module, data: dict,
                  rows: Mapping[str, Sequence[str]], index: int,
                  generator: torch.Generator,
                  margin: float = MARGIN) -> Dict[str, Dict[str, tuple]]:
    """``{row: {perturbation: (ratio, spread)}}`` on one preprocessed batch,
    and for a row that prunes unreliable edges ``'pruned': {batch: share}``
    (:func:`uep_pruned_share` on the clean and each spurious batch).

    Args:
        distiller: A SingleTeacherDistiller holding every row's losses.
        data: The data preprocessor's output (``inputs``, ``data_samples``).
        rows: Row name -> the keys of ``distiller.distill_losses`` it sums.
        index: The sample made spurious.
        generator: Draws the noise image.
        margin: See :func:`wrong_logits`.
    """
    clean = capture_inputs(distiller, data)
    noisy = capture_inputs(
        distiller, dict(data, inputs=noise_image(data['inputs'], index,
                                                 generator)))
    labels = torch.as_tensor(
        [int(sample.gt_label) for sample in data['data_samples']])
    wrong = wrong_logits(clean, index, labels, margin)
    results = {}
    for row, keys in rows.items():
        names = student_inputs(distiller, keys)
        grads = partial(per_sample_grads,
                        {key: distiller.distill_losses[key] for key in keys},
                        distiller.loss_inputs, differentiate=names)
        base = grads(clean)
        results[row] = dict(noise=spread(base, grads(noisy), index))
        batches = dict(clean=clean, noise=noisy)
        if any(name.startswith('student.logits') for name in names):
            results[row]['wrong'] = spread(base, grads(wrong), index)
            batches['wrong'] = wrong
        for key in keys:
            inputs = distiller.loss_inputs[key]
            shares = {
                kind: uep_pruned_share(
                    distiller.distill_losses[key], values[inputs['s_real']],
                    values[inputs['s_virtual']], index)
                for kind, values in batches.items()
            } if 's_real' in inputs else {}
            if shares.get('clean') is not None:
                results[row]['pruned'] = shares
    return results
