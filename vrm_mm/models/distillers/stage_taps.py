"""Outputs of any backbone stage (``student.feats.<i>``), for any backbone
that numbers its outputs by ``out_indices`` (mmpretrain's and the CIFAR
zoo's).

The backbone's ``out_indices`` are widened to the tapped stages only while
the distiller runs it (:func:`tapped_backbone`); the neck and head get the
outputs they had before, so classifiers whose neck or head expects only
the last stage work unchanged, and so does the student on its own
(``predict``, an exported checkpoint).
"""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Sequence, Tuple

import torch
from torch import Tensor, nn

from vrm_mm.utils.errors import DistillDataError

PROBE_SIZE = 32  # input side of the build-time probe of stage shapes
_ALL_STAGES = tuple(range(256))  # widen to every stage when probing


def _backbone(model: nn.Module, name: str) -> nn.Module:
    backbone = getattr(model, 'backbone', None)
    if backbone is None or not hasattr(backbone, 'out_indices'):
        raise ValueError(
            f'{name}.feats.<i>: {type(backbone).__name__} has no '
            '`out_indices`; stage taps need a backbone that numbers its '
            'outputs by out_indices (mmpretrain backbones, the CIFAR zoo).')
    return backbone


@contextmanager
def tapped_backbone(model: nn.Module,
                    stages: Sequence[int]) -> Iterator[Tuple[int, ...]]:
    """Widen ``model.backbone.out_indices`` to ``stages`` meanwhile.

    Yields the widened indices, ascending: the order in which the backbone
    returns its outputs.
    """
    backbone = model.backbone
    original = backbone.out_indices
    widened = tuple(sorted(set(original) | set(stages)))
    backbone.out_indices = widened
    try:
        yield widened
    finally:
        backbone.out_indices = original


def run_tapped_backbone(model: nn.Module, inputs: Tensor,
                        stages: Sequence[int]
                        ) -> Tuple[Tuple[Tensor, ...], Dict[str, Tensor]]:
    """The backbone's usual outputs and ``{'feats.<i>': stage i output}``.
    """
    original = sorted(model.backbone.out_indices)
    with tapped_backbone(model, stages) as widened:
        feats = model.extract_feat(inputs, stage='backbone')
    if len(feats) != len(widened):
        raise DistillDataError(
            f'{type(model.backbone).__name__} returned {len(feats)} '
            f'outputs for out_indices {widened}: a tapped stage does not '
            'exist for this input; read stages it has (feats.<i>).')
    position = {stage: i for i, stage in enumerate(widened)}
    taps = {f'feats.{stage}': feats[position[stage]] for stage in stages}
    return tuple(feats[position[stage]] for stage in original), taps


def stage_shapes(model: nn.Module) -> List[Tuple[int, ...]]:
    """Every stage's output shape (C, H, W) for a PROBE_SIZE input."""
    was_training = model.training
    parameter = next(model.parameters(), None)
    probe = torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE,
                        device=None if parameter is None else parameter.device)
    model.eval()  # BatchNorm statistics stay untouched
    try:
        with torch.no_grad(), tapped_backbone(model, _ALL_STAGES):
            feats = model.extract_feat(probe, stage='backbone')
    finally:
        model.train(was_training)
    return [tuple(feat.shape[1:]) for feat in feats]


def check_stage_taps(model: nn.Module, name: str,
                     readers: Mapping[int, str]) -> None:
    """Raise if a tapped stage does not exist, listing the valid ones.

    Args:
        model: The student or teacher classifier.
        name: ``'student'`` or ``'teacher'``.
        readers: Stage index -> the loss or connector that reads it.
    """
    backbone = _backbone(model, name)
    try:
        shapes = stage_shapes(model)
    except Exception:  # noqa: BLE001 - a backbone that cannot take the
        return  # probe input: run_tapped_backbone checks the first batch
    for stage, reader in sorted(readers.items()):
        if stage >= len(shapes):
            listed = ', '.join(f'{i}: {"x".join(map(str, shape))}'
                               for i, shape in enumerate(shapes))
            raise ValueError(
                f'{reader} reads {name}.feats.{stage}, but '
                f'{type(backbone).__name__} has stages 0-{len(shapes) - 1} '
                f'({listed}; C x H x W at a {PROBE_SIZE}x{PROBE_SIZE} '
                'input).')
