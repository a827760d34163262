"""Convert RepDistiller / mdistiller CIFAR checkpoints to vrm_mm classifiers.

The public CIFAR-100 teachers (``cifar_teachers``) are saved as
``{'model': state_dict, 'epoch': ..., 'best_acc': ..., 'optimizer': ...}``
with the network's own keys (``conv1.weight``, ``layer1.0.conv1.weight``,
``fc.weight``). vrm_mm builds the same networks as an mmpretrain
``ImageClassifier`` (``backbone.*``, ``head.fc.*``); this module maps one
layout onto the other and checks the result against the target model.
"""

import re
from typing import Dict, Mapping, Sequence, Tuple

import torch

from .state_dict import load_state_dict_file, rename_state_dict

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


def convert_repdistiller_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    model_name: str,
    reference: Mapping[str, torch.Tensor],
) -> Dict[str, torch.Tensor]:
    """Rename a public state dict and check it against the target model.

    See :func:`~vrm_mm.converters.state_dict.rename_state_dict`.

    Args:
        state_dict (Mapping[str, Tensor]): The public network's state dict.
        model_name (str): Public model name, e.g. ``'wrn_40_2'``.
        reference (Mapping[str, Tensor]): ``state_dict()`` of the target
            ``ImageClassifier`` (keys and shapes to match).

    Returns:
        dict[str, Tensor]: The state dict in ``reference``'s layout.

    Raises:
        ValueError: on an unknown model name, or on keys that do not map,
            are missing, or have the wrong shape.
    """
    _family(model_name)
    return rename_state_dict(
        state_dict, lambda key: repdistiller_to_vrm_key(key, model_name),
        reference, model_name)


# the public checkpoints' layouts ({'model': state_dict} or a plain one)
load_repdistiller_checkpoint = load_state_dict_file
