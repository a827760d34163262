"""Read logits, pooled features and feature maps off mmpretrain classifiers.

An ``ImageClassifier`` (CNNs, ViTs) exposes every output: ``feats`` (the
backbone's last output), ``feats.<i>`` / ``preact_feats.<i>`` /
``prenorm_feats.<i>`` (stage i, see :mod:`.stage_taps`),
``pre_logits`` (the head's ``pre_logits``: the
pooled neck output for a linear head) and ``logits``. Classifiers without a
``head`` (``TimmClassifier``, ``HuggingFaceClassifier``) give logits only.
"""
from typing import Any, Dict, List, Optional, Sequence, Set

import torch
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from .named_inputs import OUTPUTS
from .stage_taps import parse_tap, run_tapped_backbone

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
