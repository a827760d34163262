"""What a distiller must compute for the inputs its losses read, and the
per-sample data fields (``gt_label``, ``sample_idx``, ``contrast_idx``) it
hands them.

Per-sample data fields as loss inputs: ``gt_label``, ``sample_idx``,
``contrast_idx`` (see :mod:`.named_inputs`).

What a distiller must compute for the inputs its losses read.
"""
from typing import Dict, List, Mapping

import torch
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from vrm_mm.utils.errors import DistillDataError

from .model_outputs import available_outputs, check_stage_taps, num_classes
from .named_inputs import (
    DATA_FIELDS,
    GT_LABEL,
    input_names,
    parse_model_output,
)

# where each field comes from, for the error when it is missing
_SOURCES = {
    GT_LABEL: 'the dataset\'s labels (PackInputs packs gt_label)',
    'sample_idx': "mmpretrain's PackInputs, which copies the dataset index "
                  "when 'sample_idx' is among its meta_keys (the default)",
    'contrast_idx': 'the ContrastSampleDataset wrapper around the train '
                    'dataset (see configs/_base_/distillers/crd.py)',
}


def data_field(data_samples: List[DataSample], field: str,
               device: torch.device) -> Tensor:
    """The field of every sample, batched: labels concatenated (B), other
    fields stacked (B x ...)."""
    missing = [i for i, sample in enumerate(data_samples)
               if field not in sample]
    if missing:
        raise DistillDataError(
            f'a loss reads {field!r}, but data sample {missing[0]} of the '
            f'batch has none; it comes from {_SOURCES[field]}.')
    if field == GT_LABEL:
        batched = torch.cat([sample.gt_label for sample in data_samples])
    else:
        batched = torch.stack([
            torch.as_tensor(sample.get(field)) for sample in data_samples])
    return batched.to(device)


class InputPlan:
    """The forward passes and outputs the configured input names need.

    Built once with the distiller; checks at the same time that each model
    exposes what is read from it and that student and teacher agree on the
    number of classes wherever a loss compares their logits.

    Args:
        loss_inputs: Per loss, ``forward`` argument -> input name.
        connector_inputs: Per connector, the input name it reads.
        models: ``dict(student=..., teacher=...)``.

    Attributes:
        num_views: Per model, how many views (0 .. n-1) it must run on. The
            student always runs on view 0, for its own loss.
        outputs: Per model, the outputs to compute besides ``logits``
            (``pre_logits``, ``feats``, ``feats.<i>``,
            ``preact_feats.<i>``, ...).
        fields: The per-sample data fields read (``gt_label``, ...).
    """

    def __init__(self, loss_inputs: Mapping[str, Mapping[str, str]],
                 connector_inputs: Mapping[str, str],
                 models: Mapping[str, nn.Module]) -> None:
        readers = {}  # input name -> the first loss/connector reading it
        for name, source in connector_inputs.items():
            for item in input_names(source):
                readers.setdefault(item, f'connectors.{name}')
        for loss, inputs in loss_inputs.items():
            for source in inputs.values():
                for item in input_names(source):
                    readers.setdefault(item, loss)
        self.fields = [field for field in DATA_FIELDS if field in readers]
        self.num_views: Dict[str, int] = dict(student=1, teacher=0)
        self.outputs: Dict[str, set] = dict(student=set(), teacher=set())
        self._farthest_view = {}  # model -> (input name, view, reader)
        stage_readers = dict(student={}, teacher={})  # tap -> reader
        for name, reader in readers.items():
            output = parse_model_output(name)
            if output is None:
                continue
            model = models[output.model]
            kind = 'feats' if output.stage is not None else output.kind
            if kind not in available_outputs(model):
                raise ValueError(
                    f'{reader} reads {output.model}.{output.output}, which '
                    f'{type(model).__name__} does not expose (it gives '
                    f'{", ".join(sorted(available_outputs(model)))}); use '
                    'an ImageClassifier for pre_logits and feats.')
            self.outputs[output.model].add(output.output)
            if output.stage is not None:
                stage_readers[output.model].setdefault(output.output, reader)
            if output.view + 1 > self.num_views[output.model]:
                self.num_views[output.model] = output.view + 1
                self._farthest_view[output.model] = (name, output.view,
                                                     reader)
        for name, readers_of_stage in stage_readers.items():
            if readers_of_stage:
                check_stage_taps(models[name], name, readers_of_stage)
        _check_num_classes(loss_inputs, models)

    def check_num_views(self, num_views: int) -> None:
        """Raise if a loss reads a view the batch does not have."""
        for name, view, reader in self._farthest_view.values():
            if view >= num_views:
                raise DistillDataError(
                    f'{reader} reads {name!r} (view {view}), but the batch '
                    f'has {num_views} view(s). Build multi-view batches '
                    'with the RealVirtualViews transform and '
                    'MultiViewClsDataPreprocessor (see configs/_base_/'
                    'datasets/*_vrm.py).')


def _check_num_classes(loss_inputs: Mapping[str, Mapping[str, str]],
                       models: Mapping[str, nn.Module]) -> None:
    counts = {name: num_classes(model) for name, model in models.items()}
    if None in counts.values() or counts['student'] == counts['teacher']:
        return
    for loss, inputs in loss_inputs.items():
        names = [name for source in inputs.values()
                 for name in input_names(source)]
        compared = {
            output.model
            for output in map(parse_model_output, names)
            if output is not None and output.output == 'logits'
        }
        if len(compared) == 2:
            raise ValueError(
                f'{loss} compares student and teacher logits, but the '
                f'student has {counts["student"]} classes and the teacher '
                f'{counts["teacher"]}: both heads need the dataset\'s '
                'number of classes (head.num_classes).')
