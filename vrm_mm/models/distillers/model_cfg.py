"""Read a student or teacher config from a model config file (``cfg_path``).

mmengine merges one ``model`` from a config's ``_base_`` files, so a
distiller config cannot inherit both networks. As in mmrazor, a network is
named by its config file instead::

    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py')
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py',
                 head=dict(num_classes=100))

The file's ``model`` variable is the network; the other keys are merged
into it as ``--cfg-options`` would be (nested dicts merge, ``_delete_=True``
replaces).
"""
import os.path as osp
from typing import List, Mapping

from mmengine.config import Config

CFG_PATH = 'cfg_path'
# vrm_mm/models/distillers/model_cfg.py -> the repository root
REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _candidates(path: str) -> List[str]:
    if osp.isabs(path):
        return [path]
    return [osp.abspath(path), osp.join(REPO_ROOT, path)]


def resolve_cfg_path(path: str, where: str) -> str:
    """The config file ``path`` names.

    Args:
        path: Absolute, relative to the working directory or else to the
            repository root, or ``<package>::<config>`` for a config shipped
            with an OpenMMLab package (``mmpretrain::_base_/models/...``).
        where: The config key, for error messages (``'teacher.cfg_path'``).

    Raises:
        FileNotFoundError: No such file.
    """
    if not isinstance(path, str):
        raise TypeError(f'{where} must be a config file path (str), got '
                        f'{type(path).__name__}.')
    if '::' in path:
        try:
            # mmengine's own resolution of `_base_ = 'pkg::...'`
            return Config._get_cfg_path(path, '')[0]
        except (AssertionError, FileNotFoundError, ModuleNotFoundError,
                ValueError) as error:
            raise FileNotFoundError(
                f'{where}={path!r} names no config of an installed package '
                f'({error}). Use e.g. '
                "'mmpretrain::_base_/models/resnet18.py'.") from None
    for candidate in _candidates(path):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{where}={path!r}: no such config file (looked for '
        f'{" and ".join(map(repr, _candidates(path)))}). Give a path '
        'relative to the working directory or to the repository root, e.g. '
        "'configs/_base_/models/cifar100/resnet56.py'.")


def load_model_cfg(cfg: Mapping, role: str) -> Mapping:
    """``cfg`` itself, or the network its ``cfg_path`` names, merged.

    Args:
        cfg: A model config; with a ``cfg_path`` key, the other keys
            override the file's ``model``.
        role: ``'student'`` or ``'teacher'``, for error messages.

    Returns:
        The model config to build.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file defines no ``model`` dict.
    """
    if CFG_PATH not in cfg:
        return cfg
    overrides = dict(cfg)
    where = f'{role}.{CFG_PATH}'
    path = resolve_cfg_path(overrides.pop(CFG_PATH), where)
    model = Config.fromfile(path).get('model')
    if not isinstance(model, Mapping):
        raise ValueError(
            f'{where}: {path} defines no `model` dict; point it to a model '
            'config such as configs/_base_/models/cifar100/resnet56.py.')
    merged = Config(dict(model=model))
    merged.merge_from_dict(dict(model=overrides))
    return merged.model.to_dict()
