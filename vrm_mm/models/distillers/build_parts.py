"""Build a distiller's losses and connectors, with clear config errors."""
from typing import Dict, Mapping, Optional, Tuple

from mmengine.registry import Registry
from torch import nn

from vrm_mm.registry import MODELS
from vrm_mm.utils.suggest import did_you_mean

from .named_inputs import (
    CONNECTOR_PREFIX,
    check_input_name,
    check_loss_inputs,
    input_names,
)

STUDENT_LOSS = 'loss_cls'  # the student's own classification loss


def _registered_names(registry: Optional[Registry]) -> set:
    names = set()
    while registry is not None:
        names.update(registry.module_dict)
        registry = registry.parent
    return names


def build_registered(cfg: Mapping, where: str) -> nn.Module:
    """``MODELS.build(cfg)``; an unregistered ``type`` suggests close names.
    """
    kind = cfg.get('type')
    if kind is None:
        raise ValueError(f'{where}: the config has no `type`.')
    if isinstance(kind, str) and MODELS.get(kind) is None:
        raise ValueError(
            f'{where}: {kind!r} is not a registered component.'
            f'{did_you_mean(kind, _registered_names(MODELS))} vrm_mm '
            'registers its losses in vrm_mm/models/losses and its '
            'connectors in vrm_mm/models/connectors.')
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
