"""Load a distiller's teacher checkpoint safely and completely.

A teacher that silently half-loads distils noise, so every mismatch between
the file and the network is an error by default, and files are read with
``torch.load(weights_only=True)``, which refuses to run code from the file.
"""
import os.path as osp
import pickle
import warnings
from typing import Dict, List, Mapping

import torch
from torch import nn

_SHOWN = 5  # keys listed per kind of mismatch

_FIXES = (
    'A public RepDistiller / mdistiller CIFAR checkpoint: convert it with '
    '`python tools/convert_repdistiller.py SRC DST --model NAME`. A '
    'distiller checkpoint (keys `student.*`): extract the network with '
    '`python tools/export_student.py CKPT OUT`. Otherwise check that the '
    'teacher config matches the network the file was trained with. '
    '`teacher_ckpt_strict=False` loads the matching tensors only and warns.')


def _first(items: List[str]) -> str:
    more = f' (and {len(items) - _SHOWN} more)' if len(items) > _SHOWN else ''
    return ', '.join(items[:_SHOWN]) + more


def _read(path: str) -> object:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Teacher checkpoint not found: {path!r} (`teacher_ckpt`, the '
            'trained teacher the student distils from). Train one with a '
            'config in configs/teachers/, or convert a public CIFAR teacher '
            'with tools/convert_repdistiller.py.')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(str(error))
        if 'global' not in reason.lower():
            raise ValueError(
                f'Teacher checkpoint {path!r} is not a readable torch '
                f'checkpoint ({reason}).') from None
        raise ValueError(
            f'Refused to load teacher checkpoint {path!r}: it holds Python '
            f'objects other than tensors and plain containers ({reason}), '
            'and unpickling them could execute code from the file. If you '
            'trust the file, convert it once in a separate session: '
            "`ckpt = torch.load(PATH, weights_only=False)`, then "
            "`torch.save(ckpt['state_dict'], NEW_PATH)` (or the model's "
            'state dict, however the file stores it), and point '
            '`teacher_ckpt` to NEW_PATH.') from None


def _unpickler_reason(message: str) -> str:
    """The line of torch's weights-only error that names the problem."""
    _, marker, rest = message.partition('WeightsUnpickler error:')
    lines = (rest if marker else message).splitlines()
    line = next((line.strip() for line in lines if line.strip()), '')
    # keep the diagnosis, drop torch's advice to allow-list the global
    return line.split('. ')[0][:300] or 'unreadable'


def extract_state_dict(checkpoint: object,
                       path: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """The network weights in a checkpoint, without a ``module.`` prefix.

    Accepted layouts: a plain state dict, ``{'state_dict': ...}`` (mmengine,
    vrm_mm) or ``{'model': ...}`` (RepDistiller, mdistiller, timm).

    Args:
        checkpoint: What ``torch.load`` returned.
        path: The file, for error messages.

    Returns:
        The state dict; keys saved from a ``(Distributed)DataParallel``
        wrapper lose their leading ``module.``.
    """
    if isinstance(checkpoint, Mapping):
        for key in ('state_dict', 'model'):
            if isinstance(checkpoint.get(key), Mapping):
                checkpoint = checkpoint[key]
                break
    if not (isinstance(checkpoint, Mapping) and checkpoint and all(
            isinstance(value, torch.Tensor)
            for value in checkpoint.values())):
        found = (_first([str(key) for key in checkpoint]) if isinstance(
            checkpoint, Mapping) else type(checkpoint).__name__)
        raise ValueError(
            f'{path!r} is not a state dict, {{"state_dict": ...}} or '
            f'{{"model": ...}}; found: {found}.')
    return {
        key.removeprefix('module.'): value
        for key, value in checkpoint.items()
    }


def load_teacher_checkpoint(model: nn.Module,
                            path: str,
                            strict: bool = True) -> None:
    """Load a teacher's weights into ``model``; any mismatch is reported.

    BatchNorm ``num_batches_tracked`` counters may be absent (old PyTorch
    checkpoints): a frozen teacher in eval mode never reads them.

    Args:
        model: The teacher network, built from its config.
        path: The checkpoint file.
        strict: Raise on missing or unexpected keys and shape mismatches.
            With False they are listed in a warning and the matching
            tensors are loaded; a file sharing no tensor with the model is
            an error either way.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is unsafe, unreadable, in an unknown
            layout or does not match ``model``.
    """
    state_dict = extract_state_dict(_read(path), path)
    reference = model.state_dict()
    missing = [
        key for key in reference if key not in state_dict
        and not key.endswith('num_batches_tracked')
    ]
    unexpected = [key for key in state_dict if key not in reference]
    wrong_shape = [
        f'{key} {tuple(value.shape)} != {tuple(reference[key].shape)}'
        for key, value in state_dict.items()
        if key in reference and value.shape != reference[key].shape
    ]
    problems = [
        f'{name} ({len(keys)}): {_first(keys)}'
        for name, keys in (('missing keys', missing),
                           ('unexpected keys', unexpected),
                           ('shape mismatches (file != model)', wrong_shape))
        if keys
    ]
    loadable = {
        key: value
        for key, value in state_dict.items()
        if key in reference and value.shape == reference[key].shape
    }
    if not loadable or (problems and strict):
        raise ValueError(
            f'Teacher checkpoint {path!r} does not match the teacher '
            f'{type(model).__name__}: ' + '; '.join(problems) + '. ' + _FIXES)
    if problems:
        warnings.warn(f'Teacher checkpoint {path!r} loaded partially '
                      '(teacher_ckpt_strict=False): ' + '; '.join(problems))
    model.load_state_dict(loadable, strict=False)
