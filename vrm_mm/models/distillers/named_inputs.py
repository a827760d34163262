"""The names by which distillation losses and connectors take inputs.

Grammar::

    <model>.<output>[<view>]   model: student | teacher
                               output: logits (B x C), pre_logits (the
                                   head's input, pooled, B x D), feats (the
                                   backbone's last output, B x C x H x W),
                                   feats.<i> (backbone stage i, numbered as
                                   the backbone's ``out_indices``),
                                   preact_feats.<i> (stage i before its
                                   last activation, RepDistiller's
                                   ``preact``), prenorm_feats.<i> (stage i
                                   before the norm that follows it: WRN);
                                   see model_outputs.py
                               view: '' (view 0, the real view),
                                   '_virtual' (view 1), '_virtual2', ...
    gt_label                   class indices, LongTensor B
    sample_idx                 dataset indices, LongTensor B
    contrast_idx               per-sample contrast indices (CRD), stacked
    connectors.<name>          the output of a connector

An input may also be a list of names: the loss or connector then gets the
list of their values, in order (e.g. the stages of attention transfer).
Names are checked when the distiller is built, against each loss's
``forward`` signature, so a typo fails before the first training step.
"""
import inspect
import re
from typing import Collection, List, Mapping, NamedTuple, Optional

from torch import nn

from vrm_mm.utils.suggest import did_you_mean

MODELS_WITH_OUTPUTS = ('student', 'teacher')
OUTPUTS = ('logits', 'pre_logits', 'feats')
GT_LABEL = 'gt_label'
# per-sample fields of the data samples (see input_plan.py)
DATA_FIELDS = (GT_LABEL, 'sample_idx', 'contrast_idx')
CONNECTOR_PREFIX = 'connectors.'

_MODEL_OUTPUT = re.compile(r'^(student|teacher)\.'
                           r'(logits|pre_logits|feats(?:\.(\d+))?'
                           r'|(?:preact|prenorm)_feats\.(\d+))'
                           r'(_virtual(\d*))?$')


class ModelOutput(NamedTuple):
    """A parsed ``<model>.<output>[<view>]`` name.

    ``output`` is the key of the forward result (``feats.1``,
    ``preact_feats.1`` for a stage tap), ``kind`` the output without its
    stage and ``stage`` the stage index or None.
    """

    model: str
    output: str
    view: int
    stage: Optional[int] = None

    @property
    def kind(self) -> str:
        return self.output.split('.')[0]


def view_suffix(view: int) -> str:
    """``''`` for view 0, ``'_virtual'`` for 1, ``'_virtual<k>'`` beyond."""
    if view == 0:
        return ''
    return '_virtual' if view == 1 else f'_virtual{view}'


def parse_model_output(name: str) -> Optional[ModelOutput]:
    """Parse ``student.logits_virtual`` and alike; None for other names."""
    match = _MODEL_OUTPUT.match(name)
    if match is None:
        return None
    model, output, stage, tap_stage, virtual, number = match.groups()
    stage = stage if tap_stage is None else tap_stage
    if stage is not None and str(int(stage)) != stage:
        return None  # 'feats.01' names no stage
    if virtual is None:
        view = 0
    elif not number:
        view = 1
    elif int(number) >= 2 and str(int(number)) == number:
        view = int(number)
    else:  # '_virtual0', '_virtual1', '_virtual02' name no view
        return None
    return ModelOutput(model, output, view,
                       None if stage is None else int(stage))


def input_names(source: object) -> List[object]:
    """The names of one input: ``[source]``, or the list it is."""
    return list(source) if isinstance(source, (list, tuple)) else [source]


def _view0_names(connector_names: Collection[str]) -> list:
    return [f'{model}.{output}' for model in MODELS_WITH_OUTPUTS
            for output in OUTPUTS] + list(DATA_FIELDS) + [
                CONNECTOR_PREFIX + name for name in connector_names]


def check_input_name(source: object, connector_names: Collection[str],
                     where: str) -> None:
    """Raise a ValueError listing the valid names if ``source`` is not one
    (or, for a list, if it is empty or any of its items is not one).

    Args:
        source: The input name from the config, or a list of names.
        connector_names: The configured connectors (``connectors.<name>``
            is valid for these).
        where: The config location, for the message.
    """
    if isinstance(source, (list, tuple)) and not source:
        raise ValueError(f'{where}: an empty list of input names; give at '
                         "least one, e.g. ['student.feats.1'].")
    for name in input_names(source):
        if isinstance(name, str) and (
                name in DATA_FIELDS or parse_model_output(name) is not None
                or (name.startswith(CONNECTOR_PREFIX)
                    and name[len(CONNECTOR_PREFIX):] in connector_names)):
            continue
        valid = _view0_names(connector_names)
        hint = did_you_mean(name, valid) if isinstance(name, str) else ''
        raise ValueError(
            f'{where}: unknown input name {name!r}.{hint} Valid names: '
            f'{", ".join(valid)}; feats.<i> reads backbone stage i (e.g. '
            "'student.feats.1'), preact_feats.<i> / prenorm_feats.<i> the "
            'stage before its last activation / norm; the '
            'student./teacher. names also end in '
            '_virtual, _virtual2, ... for views 1, 2, ... of multi-view '
            'batches; a list of names passes the list of their values.')


def check_loss_inputs(loss_name: str, loss: nn.Module,
                      inputs: Mapping[str, str],
                      connector_names: Collection[str]) -> None:
    """Check a loss's ``inputs`` against its ``forward`` signature.

    Every key must be a parameter of ``forward`` (any key if it takes
    ``**kwargs``), every value a valid input name, and every ``forward``
    parameter without a default must be given.

    Raises:
        ValueError: Naming the loss, the offending entry, the loss's
            parameters and the valid names.
    """
    params = inspect.signature(loss.forward).parameters
    by_name = [
        name for name, param in params.items()
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
    ]
    takes_any = any(param.kind == param.VAR_KEYWORD
                    for param in params.values())
    loss_type = type(loss).__name__
    signature = f'{loss_type}.forward takes {", ".join(by_name) or "nothing"}'
    if not isinstance(inputs, Mapping) or not inputs:
        raise ValueError(
            f'{loss_name}: `inputs` must be a dict from {loss_type}.forward '
            'parameters to input names, e.g. '
            "inputs=dict(preds_S='student.logits', "
            f"preds_T='teacher.logits'); {signature}.")
    for arg, name in inputs.items():
        if arg not in by_name and not takes_any:
            raise ValueError(
                f'{loss_name}: {loss_type}.forward has no parameter '
                f'{arg!r}.{did_you_mean(arg, by_name)} {signature}.')
        check_input_name(name, connector_names, f'{loss_name}.inputs.{arg}')
    missing = [
        name for name in by_name
        if params[name].default is params[name].empty and name not in inputs
    ]
    if missing:
        raise ValueError(
            f'{loss_name}: {loss_type}.forward needs '
            f'{", ".join(map(repr, missing))}; add '
            f'{"them" if len(missing) > 1 else "it"} to `inputs`, e.g. '
            f"inputs=dict({missing[0]}='student.logits', ...). {signature}.")
