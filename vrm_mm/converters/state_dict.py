"""Rename a public checkpoint's state dict into an mmpretrain model's.

Shared by the converters of public checkpoints (RepDistiller / mdistiller
CIFAR networks, torchvision's ImageNet networks): read the file safely, map
every key, and check keys and shapes against the target model.
"""

import pickle
from collections import OrderedDict
from typing import Callable, Dict, Mapping, Sequence

import torch

_SHOWN = 5  # keys listed in an error message


def _first(keys: Sequence[str]) -> str:
    more = f' (and {len(keys) - _SHOWN} more)' if len(keys) > _SHOWN else ''
    return ', '.join(keys[:_SHOWN]) + more


def rename_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    rename: Callable[[str], str],
    reference: Mapping[str, torch.Tensor],
    model_name: str,
) -> Dict[str, torch.Tensor]:
    """Rename a public state dict and check it against the target model.

    BatchNorm ``num_batches_tracked`` counters, absent from checkpoints of
    very old PyTorch versions, are filled with zeros; any other mismatch is
    an error.

    Args:
        state_dict (Mapping[str, Tensor]): The public network's state dict.
        rename (Callable[[str], str]): A public key -> the target's key.
        reference (Mapping[str, Tensor]): ``state_dict()`` of the target
            ``ImageClassifier`` (keys and shapes to match).
        model_name (str): Public model name, for messages.

    Returns:
        dict[str, Tensor]: The state dict (ordered) in ``reference``'s layout,
        loadable with ``strict=True``.

    Raises:
        ValueError: on keys that do not map,
            are missing, or have the wrong shape.
    """
    converted = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        new_key = rename(key)
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


def load_state_dict_file(path: str) -> Dict[str, torch.Tensor]:
    """Read a public checkpoint safely and return its model state dict.

    The file is read with ``torch.load(weights_only=True)``, which refuses
    to run code from the file. Accepted layouts: ``{'model': state_dict,
    ...}`` (RepDistiller / mdistiller releases) or a plain state dict
    (torchvision's).

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
