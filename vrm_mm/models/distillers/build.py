"""Build a distiller's parts: the networks' configs (``cfg_path``), its
losses and connectors, with clear config errors.

Read a student or teacher config from a model config file (``cfg_path``).

mmengine merges one ``model`` from a config's ``_base_`` files, so a
distiller config cannot inherit both networks. As in mmrazor, a network is
named by its config file instead::

    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py')
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py',
                 head=dict(num_classes=100))

The file's ``model`` variable is the network; the other keys are merged
into it as ``--cfg-options`` would be (nested dicts merge, ``_delete_=True``
replaces).

Build a distiller's losses and connectors, with clear config errors.
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Tuple

from mmengine.config import Config
from torch import nn

from vrm_mm.registry import MODELS
from vrm_mm.utils.registry_hint import own_class_hint, registered_names
from vrm_mm.utils.suggest import did_you_mean

from .named_inputs import (
    CONNECTOR_PREFIX,
    check_input_name,
    check_loss_inputs,
    input_names,
)

CFG_PATH = 'cfg_path'
# vrm_mm/models/distillers/build.py -> the repository root
REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


# a non-editable install's copy of the repository's configs/ (setup.py)
PACKAGED_FILES = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '.mim')


def _candidates(path: str) -> List[str]:
    if osp.isabs(path):
        return [path]
    return [
        osp.abspath(path),
        osp.join(REPO_ROOT, path),
        osp.join(PACKAGED_FILES, path)
    ]


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


STUDENT_LOSS = 'loss_cls'  # the student's own classification loss


def build_registered(cfg: Mapping, where: str) -> nn.Module:
    """``MODELS.build(cfg)``; an unregistered ``type`` suggests close names.
    """
    kind = cfg.get('type')
    if kind is None:
        raise ValueError(f'{where}: the config has no `type`.')
    if isinstance(kind, str) and MODELS.get(kind) is None:
        raise ValueError(
            f'{where}: {kind!r} is not a registered component.'
            f'{did_you_mean(kind, registered_names(MODELS))} vrm_mm '
            'registers its losses in vrm_mm/models/losses and its '
            'connectors in vrm_mm/models/connectors.'
            f'{own_class_hint(kind)}')
    return MODELS.build(dict(cfg))


def build_connectors(
        cfgs: Optional[Mapping]) -> Tuple[nn.ModuleDict, Dict[str, str]]:
    """Build ``connectors=dict(name=dict(type=..., input=...))``.

    Returns:
        The connectors and, per connector, the input name it reads.
    """
    modules, sources = nn.ModuleDict(), {}
    for name, cfg in (cfgs or {}).items():
        cfg = dict(cfg)
        where = f'connectors.{name}'
        if 'input' not in cfg:
            raise ValueError(
                f'{where}: missing `input`, the name the connector reads '
                "(or a list of names), e.g. input='student.pre_logits'.")
        sources[name] = cfg.pop('input')
        # connectors read model outputs and labels, not other connectors
        check_input_name(sources[name], (), f'{where}.input')
        modules[name] = build_registered(cfg, where)
    return modules, sources


def build_losses(
        cfgs: Optional[Mapping], connector_names: Mapping
) -> Tuple[nn.ModuleDict, Dict[str, Dict[str, str]]]:
    """Build ``distill_losses=dict(loss_x=dict(type=..., inputs=...))``.

    Every name is checked (:func:`check_loss_inputs`), and every connector
    must feed some loss: an unused connector would get no gradient, which
    DDP with ``find_unused_parameters=False`` reports only mid-training.

    Returns:
        The losses and, per loss, its ``forward`` argument -> input name.
    """
    modules, inputs = nn.ModuleDict(), {}
    for name, cfg in (cfgs or {}).items():
        if not name.startswith('loss_') or name == STUDENT_LOSS:
            raise ValueError(
                f'distill_losses key {name!r}: keys must start with `loss_` '
                '(mmengine sums and logs the `loss_*` entries) and '
                f'{STUDENT_LOSS!r} is the student\'s own loss; e.g. '
                '`loss_kd`.')
        cfg = dict(cfg)
        loss_inputs = cfg.pop('inputs', None)
        modules[name] = build_registered(cfg, f'distill_losses.{name}')
        check_loss_inputs(name, modules[name], loss_inputs, connector_names)
        inputs[name] = dict(loss_inputs)
    used = {
        name[len(CONNECTOR_PREFIX):]
        for loss_inputs in inputs.values() for source in loss_inputs.values()
        for name in input_names(source) if name.startswith(CONNECTOR_PREFIX)
    }
    unused = [name for name in connector_names if name not in used]
    if unused:
        raise ValueError(
            f'connectors {unused} feed no loss: refer to them in a loss\'s '
            f"inputs as 'connectors.{unused[0]}', or remove them.")
    return modules, inputs
