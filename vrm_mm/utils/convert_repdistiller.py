"""Convert RepDistiller / mdistiller CIFAR checkpoints to vrm_mm classifiers.

The public CIFAR-100 teachers (``cifar_teachers``) are saved as
``{'model': state_dict, 'epoch': ..., 'best_acc': ..., 'optimizer': ...}``
with the network's own keys (``conv1.weight``, ``layer1.0.conv1.weight``,
``fc.weight``). vrm_mm builds the same networks as an mmpretrain
``ImageClassifier`` (``backbone.*``, ``head.fc.*``); this module maps one
layout onto the other and checks the result against the target model.
"""

import pickle
import re
from collections import OrderedDict
from typing import Dict, Mapping, Sequence, Tuple

import torch

# family -> (backbone key renames as (pattern, replacement), public
# classifier prefix). Names not renamed are shared with the public code.
_FAMILIES: Dict[str, Tuple[Sequence[Tuple[str, str]], str]] = {
    'resnet': ((), 'fc.'),
    'wrn': (
        (
            (r'^block(\d)\.layer\.', r'layer\1.'),
            (r'\.convShortcut\.', '.shortcut.'),
            (r'^bn1\.', 'final_bn.'),
        ),
        'fc.',
    ),
    'vgg': ((), 'classifier.'),
    'mobilenetv2': ((), 'classifier.0.'),
    'shufflenet': ((), 'linear.'),
    # mmpretrain's ResNet_CIFAR names the projection shortcut `downsample`.
    'resnet_v2': (((r'\.shortcut\.', '.downsample.'),), 'linear.'),
}

#: Public model names (as in RepDistiller's / mdistiller's model dicts)
#: -> key-layout family. The matching config is
#: ``configs/_base_/models/cifar100/<name.lower()>.py``.
REPDISTILLER_MODELS: Dict[str, str] = {
    **{f'resnet{depth}': 'resnet' for depth in (8, 14, 20, 32, 44, 56, 110)},
    'resnet8x4': 'resnet',
    'resnet32x4': 'resnet',
    **{f'wrn_{d}_{k}': 'wrn' for d in (16, 40) for k in (1, 2)},
    'vgg8': 'vgg',
    'vgg11': 'vgg',
    'vgg13': 'vgg',
    'MobileNetV2': 'mobilenetv2',
    'ShuffleV1': 'shufflenet',
    'ShuffleV2': 'shufflenet',
    'ResNet18': 'resnet_v2',
    'ResNet50': 'resnet_v2',
}

_SHOWN = 5  # keys listed in an error message


def _family(model_name: str) -> str:
    if model_name not in REPDISTILLER_MODELS:
        raise ValueError(
            f'Unknown RepDistiller model {model_name!r}; valid names: '
            f'{", ".join(REPDISTILLER_MODELS)}.'
        )
    return REPDISTILLER_MODELS[model_name]


def repdistiller_to_vrm_key(key: str, model_name: str) -> str:
    """Map one public state-dict key to the ``ImageClassifier`` key.

    Args:
        key (str): Public key, e.g. ``'layer1.0.conv1.weight'``; a
            ``'module.'`` prefix left by ``DataParallel`` is dropped.
        model_name (str): Public model name, e.g. ``'resnet20'``.

    Returns:
        str: e.g. ``'backbone.layer1.0.conv1.weight'`` or ``'head.fc.bias'``.
    """
    renames, classifier = _FAMILIES[_family(model_name)]
    key = key.removeprefix('module.')
    if key.startswith(classifier):
        return 'head.fc.' + key[len(classifier) :]
    for pattern, replacement in renames:
        key = re.sub(pattern, replacement, key)
    return 'backbone.' + key


def _first(keys: Sequence[str]) -> str:
    more = f' (and {len(keys) - _SHOWN} more)' if len(keys) > _SHOWN else ''
    return ', '.join(keys[:_SHOWN]) + more


def convert_repdistiller_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    model_name: str,
    reference: Mapping[str, torch.Tensor],
) -> Dict[str, torch.Tensor]:
    """Rename a public state dict and check it against the target model.

    BatchNorm ``num_batches_tracked`` counters, absent from checkpoints of
    very old PyTorch versions, are filled with zeros; any other mismatch is
    an error.

    Args:
        state_dict (Mapping[str, Tensor]): The public network's state dict.
        model_name (str): Public model name, e.g. ``'wrn_40_2'``.
        reference (Mapping[str, Tensor]): ``state_dict()`` of the target
            ``ImageClassifier`` (keys and shapes to match).

    Returns:
        dict[str, Tensor]: The state dict (ordered) in ``reference``'s layout,
        loadable with ``strict=True``.

    Raises:
        ValueError: on an unknown model name, or on keys that do not map,
            are missing, or have the wrong shape.
    """
    converted = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        new_key = repdistiller_to_vrm_key(key, model_name)
        if new_key not in reference:
            unmapped.append(key)
        converted[new_key] = value
    if unmapped:
        raise ValueError(
            f'{len(unmapped)} key(s) of the checkpoint do not map onto '
            f'{model_name}: {_first(unmapped)}. Is it a {model_name} '
            f'checkpoint? Check --model.'
        )
    for key, value in reference.items():
        if key.endswith('num_batches_tracked') and key not in converted:
            converted[key] = torch.zeros_like(value)
    missing = [key for key in reference if key not in converted]
    if missing:
        raise ValueError(
            f'The checkpoint lacks {len(missing)} key(s) of {model_name}: '
            f'{_first(missing)}. Is it a {model_name} checkpoint? Check '
            f'--model.'
        )
    wrong = [
        f'{key} {tuple(converted[key].shape)} != {tuple(value.shape)}'
        for key, value in reference.items()
        if converted[key].shape != value.shape
    ]
    if wrong:
        raise ValueError(
            f'Shape mismatch for {model_name} (checkpoint != '
            f'model): {_first(wrong)}. Check --model.'
        )
    return OrderedDict((key, converted[key]) for key in reference)


def load_repdistiller_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """Read a public checkpoint safely and return its model state dict.

    The file is read with ``torch.load(weights_only=True)``, which refuses
    to run code from the file. Accepted layouts: ``{'model': state_dict,
    ...}`` (RepDistiller / mdistiller releases) or a plain state dict.

    Args:
        path (str): Checkpoint file.

    Returns:
        dict[str, Tensor]: The network's state dict.

    Raises:
        ValueError: if the file is not a weights-only torch checkpoint or
            not in one of the accepted layouts.
    """
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as error:
        reason = str(error).strip().splitlines()[0]
        raise ValueError(
            f'{path} is not a weights-only torch checkpoint ({reason}). '
            'Only tensors and plain containers are read; re-save the state '
            'dict from trusted code with torch.save(model.state_dict(), '
            'PATH).'
        ) from None
    if not isinstance(checkpoint, dict):
        raise ValueError(
            f'{path} holds a {type(checkpoint).__name__}, not '
            'a dict; expected {"model": state_dict} or a state '
            'dict.'
        )
    state_dict = checkpoint.get('model', checkpoint)
    if not (
        isinstance(state_dict, dict)
        and state_dict
        and all(isinstance(v, torch.Tensor) for v in state_dict.values())
    ):
        raise ValueError(
            f'{path} is neither {{"model": state_dict, ...}} nor a plain '
            f'state dict of tensors; its top-level keys are '
            f'{_first([str(key) for key in checkpoint])}.'
        )
    return state_dict
