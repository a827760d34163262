"""Does a checkpoint fit the model of a config? ``tools/test.py`` loads
strictly: a file that would half-load (mmengine's ``load_checkpoint`` only
logs missing keys) is an error naming the config/checkpoint pairing that
fits, so no accuracy is reported for a model that did not load.

The pairings: a distiller checkpoint (``student.*`` weights, written by
``tools/train.py`` for a distiller config) with that distiller config; a
plain classifier checkpoint (``tools/export_student.py``'s ``student.pth``)
with its exported ``student.py`` (or the student's own config).
"""
import os
import os.path as osp
import pickle
import zipfile
from typing import Dict, List

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import nn

from vrm_mm.utils.checkpoint import _unpickler_reason, extract_state_dict
from vrm_mm.utils.errors import VrmMmError

STUDENT = 'student.'
_SHOWN = 3


class CheckpointFitError(VrmMmError, ValueError):
    """A checkpoint that cannot be read, or does not fit the model."""


def _first(keys: List[str]) -> str:
    more = f', ... ({len(keys)} in all)' if len(keys) > _SHOWN else ''
    return ', '.join(keys[:_SHOWN]) + more


def check_checkpoint_file(path: str, option: str = 'checkpoint') -> None:
    """A cheap look at a checkpoint before a run starts: it exists, is a
    readable file and, saved in torch's zip format, is complete (its zip
    directory, at the end of the file, reads).

    Raises:
        CheckpointFitError: naming ``option`` (e.g. ``load_from``).
    """
    if osp.isdir(path):
        raise CheckpointFitError(
            f'{option}={path} is a directory: give a checkpoint file in it, '
            f'e.g. {osp.join(path, "epoch_N.pth")}.')
    if not osp.isfile(path):
        raise CheckpointFitError(f'{option}={path}: file not found.')
    if not os.access(path, os.R_OK):
        raise CheckpointFitError(
            f'{option}={path} is not readable (permission denied): chmod '
            'u+r it or copy it somewhere readable.')
    with open(path, 'rb') as f:
        zipped = f.read(4) == b'PK\x03\x04'
    if not zipped:
        return  # torch's legacy format: only loading tells
    try:
        with zipfile.ZipFile(path):
            pass
    except (zipfile.BadZipFile, OSError) as error:
        raise _unreadable(path, str(error)) from None


def load_checkpoint_file(path: str) -> dict:
    """``torch.load(path, weights_only=True)``; a missing, unreadable,
    truncated or unsafe file is a :class:`CheckpointFitError` with the fix.
    """
    check_checkpoint_file(path)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(str(error))
        if 'global' in reason.lower():
            raise CheckpointFitError(
                f'{path} holds Python objects other than tensors and plain '
                'containers, which could run code when loaded: if you trust '
                "it, save its weights alone (torch.save(ckpt['state_dict'], "
                'NEW_PATH) after torch.load(PATH, weights_only=False) in a '
                'separate session) and use NEW_PATH.') from None
        raise _unreadable(path, reason) from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile,
            OSError) as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        raise _unreadable(path, lines[0]) from None


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The weights in ``path``, read with torch's safe unpickler.

    Raises:
        CheckpointFitError: a missing, unreadable, truncated or unsafe file,
            with the fix.
    """
    checkpoint = load_checkpoint_file(path)
    try:
        return extract_state_dict(checkpoint, path)
    except ValueError as error:
        raise CheckpointFitError(f'{error} Is {path} a checkpoint of '
                                 'tools/train.py?') from None


def _unreadable(path: str, reason: str) -> CheckpointFitError:
    return CheckpointFitError(
        f'{path} is not a readable checkpoint, truncated or corrupt '
        f'({reason[:120]}): use another checkpoint of the run (e.g. the '
        'previous epoch_N.pth) or copy the file again.')


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside DDP and ``--tta``'s ``BaseTTAModel``, the one a
    checkpoint is for (mmengine's ``load_checkpoint`` unwraps both)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def check_checkpoint_fits(model: nn.Module,
                          state_dict: Dict[str, torch.Tensor], path: str,
                          config: str) -> None:
    """Raise unless ``state_dict`` (read from ``path`` by
    :func:`read_state_dict`) loads into ``model`` exactly.

    Args:
        model: The model the Runner built from ``config`` (maybe wrapped).
        state_dict: The checkpoint's weights.
        path: The checkpoint file, for the message.
        config: The config file, for the message.

    Raises:
        CheckpointFitError: its keys or shapes differ from the model's; the
            message names the pairing that fits.
    """
    reference = unwrap_model(model).state_dict()
    missing = [key for key in reference if key not in state_dict]
    unexpected = [key for key in state_dict if key not in reference]
    shapes = [
        f'{key} {tuple(value.shape)} != {tuple(reference[key].shape)}'
        for key, value in state_dict.items()
        if key in reference and value.shape != reference[key].shape
    ]
    if not (missing or unexpected or shapes):
        return
    file_is_distiller = any(key.startswith(STUDENT) for key in state_dict)
    model_is_distiller = any(key.startswith(STUDENT) for key in reference)
    if file_is_distiller and not model_is_distiller:
        raise CheckpointFitError(
            f'{path} is a distillation checkpoint (student.* weights), but '
            f'{config} builds a plain classifier: test it with the '
            f'distiller config it was trained with (python tools/test.py '
            f'DISTILLER_CONFIG {path}), or export the student first '
            f'(python tools/export_student.py {path} student.pth, then '
            'python tools/test.py student.py student.pth).')
    if model_is_distiller and not file_is_distiller:
        exported = osp.splitext(path)[0] + '.py'
        config_hint = exported if osp.isfile(exported) else (
            'the student.py that tools/export_student.py wrote next to it')
        raise CheckpointFitError(
            f'{path} holds a plain classifier (e.g. a student exported by '
            f'tools/export_student.py), but {config} is a distiller config: '
            f'test it with its own config, {config_hint} '
            f'(python tools/test.py STUDENT_CONFIG {path}).')
    problems = '; '.join(
        f'{name}: {_first(keys)}'
        for name, keys in (('missing', missing), ('unexpected', unexpected),
                           ('shapes (file != model)', shapes)) if keys)
    raise CheckpointFitError(
        f'{path} does not fit the model of {config} ({problems}): test it '
        'with the config it was trained with (architecture, num_classes).')
