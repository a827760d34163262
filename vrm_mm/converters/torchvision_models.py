"""Convert torchvision's ImageNet classifiers to mmpretrain's.

mdistiller's (and VRM's) ImageNet teachers are torchvision's ResNet34
(73.31 top-1) and ResNet50 (76.16). mmpretrain builds the same networks
(``ResNet`` + ``GlobalAveragePooling`` + ``LinearClsHead``, ``MobileNetV2``)
under other names; this module maps torchvision's keys onto theirs, so a
converted checkpoint gives the same logits in an mmpretrain model config
(``mmpretrain::_base_/models/resnet34.py``, ...).
"""
import re
from typing import Callable, Dict, List, Mapping

import torch
from mmpretrain.models.backbones import MobileNetV2

from .state_dict import rename_state_dict

#: torchvision model name -> mmpretrain model config of the same network
TORCHVISION_MODELS: Dict[str, str] = {
    'resnet18': 'mmpretrain::_base_/models/resnet18.py',
    'resnet34': 'mmpretrain::_base_/models/resnet34.py',
    'resnet50': 'mmpretrain::_base_/models/resnet50.py',
    'mobilenet_v2': 'mmpretrain::_base_/models/mobilenet_v2_1x.py',
}


def _resnet_key(key: str) -> str:
    # mmpretrain's ResNet keeps torchvision's names (conv1, bn1,
    # layerN.i.convK / bnK, downsample.0 / .1)
    if key.startswith('fc.'):
        return 'head.' + key
    return 'backbone.' + key


def _mobilenet_v2_blocks() -> List[str]:
    """torchvision's ``features.<n>`` (n = 1..17) -> ``layer<i>.<j>``."""
    return [
        f'layer{layer}.{block}'
        for layer, (_, _, num_blocks, _) in enumerate(
            MobileNetV2.arch_settings, start=1)
        for block in range(num_blocks)
    ]


_MOBILENET_V2_BLOCKS = _mobilenet_v2_blocks()
# inside an InvertedResidual: torchvision's `conv.<a>[.<b>]` -> mmpretrain's
# ConvModules `conv.<m>.conv` / `conv.<m>.bn`. The first block has no
# expansion conv (expand ratio 1), so its two ConvModules come first.
_EXPAND_ONE = {'0.0': '0.conv', '0.1': '0.bn', '1': '1.conv', '2': '1.bn'}
_EXPAND = {'0.0': '0.conv', '0.1': '0.bn', '1.0': '1.conv', '1.1': '1.bn',
           '2': '2.conv', '3': '2.bn'}
_BLOCK = re.compile(r'^features\.(\d+)\.conv\.(\d(?:\.\d)?)\.(\w+)$')
_STEM = {'features.0.0.': 'conv1.conv.', 'features.0.1.': 'conv1.bn.'}


def _mobilenet_v2_key(key: str) -> str:
    if key.startswith('classifier.1.'):
        return 'head.fc.' + key[len('classifier.1.'):]
    last = len(_MOBILENET_V2_BLOCKS) + 1  # the 1x1 conv to 1280 channels
    stem = {**_STEM, f'features.{last}.0.': 'conv2.conv.',
            f'features.{last}.1.': 'conv2.bn.'}
    for prefix, new in stem.items():
        if key.startswith(prefix):
            return 'backbone.' + new + key[len(prefix):]
    found = _BLOCK.match(key)
    if found is None:
        return key  # reported as unmapped
    index, inner, param = found.groups()
    if not 1 <= int(index) <= len(_MOBILENET_V2_BLOCKS):
        return key
    table = _EXPAND_ONE if index == '1' else _EXPAND
    if inner not in table:
        return key
    block = _MOBILENET_V2_BLOCKS[int(index) - 1]
    return f'backbone.{block}.conv.{table[inner]}.{param}'


_RENAMES: Dict[str, Callable[[str], str]] = {
    'resnet18': _resnet_key,
    'resnet34': _resnet_key,
    'resnet50': _resnet_key,
    'mobilenet_v2': _mobilenet_v2_key,
}


def convert_torchvision_state_dict(
        state_dict: Mapping[str, torch.Tensor], model_name: str,
        reference: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename a torchvision state dict and check it against the target.

    Args:
        state_dict: ``torchvision.models.<model_name>().state_dict()``.
        model_name: One of :data:`TORCHVISION_MODELS`.
        reference: ``state_dict()`` of the mmpretrain model built from
            ``TORCHVISION_MODELS[model_name]``.

    Returns:
        The state dict in ``reference``'s layout (``strict=True`` loads).

    Raises:
        ValueError: An unknown model name, or keys that do not map, are
            missing or have the wrong shape.
    """
    if model_name not in _RENAMES:
        raise ValueError(f'unknown torchvision model {model_name!r}; valid '
                         f'names: {", ".join(TORCHVISION_MODELS)}.')
    return rename_state_dict(state_dict, _RENAMES[model_name], reference,
                             model_name)
