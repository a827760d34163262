"""What a distiller reads off its networks: logits, pooled features and any
backbone stage's output.

Classifier side (an mmpretrain ``ImageClassifier``, CNN or ViT): ``feats``
(the backbone's last output), ``feats.<i>`` / ``preact_feats.<i>`` /
``prenorm_feats.<i>`` (stage i), ``pre_logits`` (the head's input, pooled)
and ``logits``; classifiers without a ``head`` (``TimmClassifier``,
``HuggingFaceClassifier``) give logits only.

Outputs of any backbone stage, for any backbone that numbers its outputs
by ``out_indices`` (mmpretrain's and the CIFAR zoo's).

Tap names (``<model>.<tap>`` in the named-input grammar)::

    feats.<i>           stage i's output, as the backbone returns it
    preact_feats.<i>    stage i before its last activation (RepDistiller's
                        ``preact=True`` features; the CIFAR zoo and
                        mmpretrain's ResNets, see backbones/tap_points.py)
    prenorm_feats.<i>   stage i before the norm that follows it (WRN: the
                        last stage before its final BN + ReLU)

For ``feats.<i>`` the backbone's ``out_indices`` are widened to the tapped
stages only while the distiller runs it (:func:`tapped_backbone`); the other
kinds are filled in by the backbone when requested
(:func:`~vrm_mm.models.backbones.tap_points.requesting_taps`) and cost
nothing otherwise. The neck and head get the outputs they had before, so
classifiers whose neck or head expects only the last stage work unchanged,
and so does the student on its own (``predict``, an exported checkpoint).

Read logits, pooled features and feature maps off mmpretrain classifiers.

An ``ImageClassifier`` (CNNs, ViTs) exposes every output: ``feats`` (the
backbone's last output), ``feats.<i>`` / ``preact_feats.<i>`` /
``prenorm_feats.<i>`` (stage i, see :mod:`.model_outputs`),
``pre_logits`` (the head's ``pre_logits``: the
pooled neck output for a linear head) and ``logits``. Classifiers without a
``head`` (``TimmClassifier``, ``HuggingFaceClassifier``) give logits only.
"""
import re
from contextlib import ExitStack, contextmanager
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import torch
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from vrm_mm.models.backbones.tap_points import (
    PREACT,
    PRENORM,
    extra_tap_kinds,
    requesting_taps,
)
from vrm_mm.utils.errors import DistillDataError

from .named_inputs import OUTPUTS

PROBE_SIZE = 32  # input side of the build-time probe of stage shapes
_ALL_STAGES = tuple(range(256))  # widen to every stage when probing
FEATS = 'feats'
TAP_KINDS = (FEATS, PREACT, PRENORM)
_TAP = re.compile(r'^(feats|preact_feats|prenorm_feats)\.(0|[1-9]\d*)$')

Tap = Union[int, str]  # a stage index (feats.<i>) or a tap name


def parse_tap(tap: Tap) -> Optional[Tuple[str, int]]:
    """``'preact_feats.2'`` -> ``('preact_feats', 2)``; an int ``i`` is
    ``feats.<i>``; None for anything else."""
    if isinstance(tap, int):
        return FEATS, tap
    match = _TAP.match(tap) if isinstance(tap, str) else None
    return None if match is None else (match.group(1), int(match.group(2)))


def _tap_name(tap: Tap) -> str:
    kind, stage = parse_tap(tap)
    return f'{kind}.{stage}'


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


def _requests(taps: Sequence[Tap]) -> Dict[str, List[int]]:
    requests = {kind: [] for kind in TAP_KINDS}
    for tap in taps:
        kind, stage = parse_tap(tap)
        requests[kind].append(stage)
    return requests


def run_tapped_backbone(model: nn.Module, inputs: Tensor,
                        taps: Sequence[Tap]
                        ) -> Tuple[Tuple[Tensor, ...], Dict[str, Tensor]]:
    """The backbone's usual outputs and ``{tap name: tensor}``.

    Args:
        model: The classifier.
        inputs: The image batch.
        taps: Tap names (``'feats.1'``, ``'preact_feats.2'``) or stage
            indices (``1`` for ``feats.1``).
    """
    original = sorted(model.backbone.out_indices)
    requests = _requests(taps)
    extra = {kind: stages for kind, stages in requests.items()
             if kind != FEATS}
    with tapped_backbone(model, requests[FEATS]) as widened, \
            requesting_taps(model.backbone, extra) as sink:
        feats = model.extract_feat(inputs, stage='backbone')
    if len(feats) != len(widened):
        raise DistillDataError(
            f'{type(model.backbone).__name__} returned {len(feats)} '
            f'outputs for out_indices {widened}: a tapped stage does not '
            'exist for this input; read stages it has (feats.<i>).')
    position = {stage: i for i, stage in enumerate(widened)}
    result = {f'{FEATS}.{stage}': feats[position[stage]]
              for stage in requests[FEATS]}
    for kind, stages in extra.items():
        for stage in stages:
            name = f'{kind}.{stage}'
            if name not in sink:
                raise DistillDataError(
                    f'{type(model.backbone).__name__} gave no {name} for '
                    'this input: the stage does not exist; read stages it '
                    'has.')
            result[name] = sink[name]
    return tuple(feats[position[stage]] for stage in original), result


def stage_shapes(model: nn.Module, kind: str = FEATS
                 ) -> List[Tuple[int, ...]]:
    """Every stage's output shape (C, H, W) of one tap kind, for a
    PROBE_SIZE input."""
    was_training = model.training
    parameter = next(model.parameters(), None)
    probe = torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE,
                        device=None if parameter is None else parameter.device)
    model.eval()  # BatchNorm statistics stay untouched
    try:
        with torch.no_grad(), ExitStack() as stack:
            if kind == FEATS:
                stack.enter_context(tapped_backbone(model, _ALL_STAGES))
                return [tuple(feat.shape[1:]) for feat in
                        model.extract_feat(probe, stage='backbone')]
            sink = stack.enter_context(
                requesting_taps(model.backbone, {kind: _ALL_STAGES}))
            model.extract_feat(probe, stage='backbone')
    finally:
        model.train(was_training)
    found = sorted(int(name.split('.')[1]) for name in sink)
    return [tuple(sink[f'{kind}.{stage}'].shape[1:]) for stage in found]


def _offered(backbone: nn.Module) -> str:
    return ', '.join(f'{kind}.<i>' for kind in
                     (FEATS, ) + extra_tap_kinds(backbone))


def check_stage_taps(model: nn.Module, name: str,
                     readers: Mapping[Tap, str]) -> None:
    """Raise if a tap's kind or stage does not exist, listing the valid ones.

    Args:
        model: The student or teacher classifier.
        name: ``'student'`` or ``'teacher'``.
        readers: Tap name (or stage index, for ``feats.<i>``) -> the loss
            or connector that reads it.
    """
    backbone = _backbone(model, name)
    by_kind: Dict[str, Dict[int, Tuple[str, str]]] = {}
    for tap, reader in readers.items():
        kind, stage = parse_tap(tap)
        if kind != FEATS and kind not in extra_tap_kinds(backbone):
            raise ValueError(
                f'{reader} reads {name}.{_tap_name(tap)}, but '
                f'{type(backbone).__name__} has no {kind} taps; it has '
                f'{_offered(backbone)} (pre-activation taps: the CIFAR zoo '
                "backbones and mmpretrain's ResNets).")
        by_kind.setdefault(kind, {})[stage] = (reader, _tap_name(tap))
    for kind, stages in sorted(by_kind.items()):
        try:
            shapes = stage_shapes(model, kind)
        except Exception:  # noqa: BLE001 - a backbone that cannot take the
            continue  # probe input: run_tapped_backbone checks the batch
        for stage, (reader, tap) in sorted(stages.items()):
            if stage >= len(shapes):
                listed = ', '.join(f'{i}: {"x".join(map(str, shape))}'
                                   for i, shape in enumerate(shapes))
                raise ValueError(
                    f'{reader} reads {name}.{tap}, but '
                    f'{type(backbone).__name__} has '
                    f'{"" if kind == FEATS else kind + " "}stages '
                    f'0-{len(shapes) - 1} ({listed}; C x H x W at a '
                    f'{PROBE_SIZE}x{PROBE_SIZE} input).')


HEAD_INPUTS = 'head_inputs'  # what the head reads: the neck's output


def has_head(model: nn.Module) -> bool:
    """Whether ``model`` splits into backbone, neck and a classifier head."""
    return bool(getattr(model, 'with_head', False)) and hasattr(
        model.head, 'pre_logits') and hasattr(model, 'extract_feat')


def available_outputs(model: nn.Module) -> Set[str]:
    """The output names (``logits``, ``pre_logits``, ``feats``) of ``model``.
    """
    if has_head(model):
        return set(OUTPUTS)
    return {'logits'}


def num_classes(model: nn.Module) -> Optional[int]:
    """The classifier's number of classes, or None where it is not exposed.
    """
    head = getattr(model, 'head', None)
    if head is not None and hasattr(head, 'num_classes'):
        return head.num_classes
    return getattr(getattr(model, 'model', None), 'num_classes', None)


def run_classifier(model: nn.Module, inputs: Tensor,
                   outputs: Set[str]) -> Dict[str, Any]:
    """One forward pass; returns ``logits`` plus the requested ``outputs``
    (``pre_logits``, ``feats``, stage taps such as ``feats.<i>``).

    For a classifier with a head, the result also holds ``head_inputs``
    (the neck output) for :func:`classification_loss`.
    """
    if not has_head(model):
        return {'logits': model(inputs, mode='tensor')}
    taps = sorted(output for output in outputs if parse_tap(output))
    if taps:
        feats, result = run_tapped_backbone(model, inputs, taps)
    else:
        feats, result = model.extract_feat(inputs, stage='backbone'), {}
    if 'feats' in outputs:
        result['feats'] = feats[-1]
    if model.with_neck:
        feats = model.neck(feats)
    result[HEAD_INPUTS] = feats
    result['logits'] = model.head(feats)
    if 'pre_logits' in outputs:
        result['pre_logits'] = model.head.pre_logits(feats)
    return result


def classification_loss(model: nn.Module, result: Dict[str, Any],
                        data_samples: List[DataSample]) -> Dict[str, Tensor]:
    """The classifier's own loss (``{'loss': ...}``) on a forward result."""
    if has_head(model):
        return model.head.loss(result[HEAD_INPUTS], data_samples)
    if hasattr(model, '_get_loss'):  # TimmClassifier, HuggingFaceClassifier
        return model._get_loss(result['logits'], data_samples)
    raise TypeError(
        f'Cannot compute the classification loss of {type(model).__name__}: '
        'use an mmpretrain classifier (ImageClassifier, TimmClassifier).')


def _split(value: Any, sizes: Sequence[int]) -> List[Any]:
    """Split Tensors (also inside tuples and lists) along the batch."""
    if isinstance(value, Tensor):
        return list(value.split(list(sizes)))
    if isinstance(value, (tuple, list)):
        parts = [_split(item, sizes) for item in value]
        return [type(value)(part[i] for part in parts)
                for i in range(len(sizes))]
    raise TypeError(f'cannot split a {type(value).__name__} by view')


def run_classifier_on_views(model: nn.Module, views: Sequence[Tensor],
                            outputs: Set[str],
                            joint: bool) -> List[Dict[str, Any]]:
    """:func:`run_classifier` on each view, or once on all views joined.

    Separate passes keep BatchNorm statistics per view (in train mode); a
    joint pass is one forward of the concatenated batch, split afterwards.
    """
    if not joint or len(views) == 1:
        return [run_classifier(model, view, outputs) for view in views]
    sizes = [view.shape[0] for view in views]
    result = run_classifier(model, torch.cat(list(views)), outputs)
    split = {key: _split(value, sizes) for key, value in result.items()}
    return [{key: parts[i] for key, parts in split.items()}
            for i in range(len(views))]
