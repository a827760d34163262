"""The base of vrm_mm's dataset wrappers (BadSampleGuard,
ContrastSampleDataset)."""
from vrm_mm.registry import DATASETS


class DatasetWrapper:
    """Wraps ``dataset`` (a dataset or its config) and answers for it:
    its length, ``metainfo`` and every attribute it has
    (``get_data_info``, ``get_gt_labels``, ...); subclasses define
    ``__getitem__``."""

    def __init__(self, dataset) -> None:
        self.dataset = (DATASETS.build(dataset)
                        if isinstance(dataset, dict) else dataset)

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name: str):
        if name == 'dataset':  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.dataset, name)
