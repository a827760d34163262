"""Per-sample data fields as loss inputs: ``gt_label``, ``sample_idx``,
``contrast_idx`` (see :mod:`.named_inputs`)."""
from typing import List

import torch
from mmpretrain.structures import DataSample
from torch import Tensor

from vrm_mm.utils.errors import DistillDataError

from .named_inputs import GT_LABEL

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
