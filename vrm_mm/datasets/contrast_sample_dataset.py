"""Each training sample with its index and K contrast (negative) indices,
as contrastive representation distillation needs (CRD, Tian et al., ICLR
2020)."""
import numpy as np
import torch

from vrm_mm.datasets.dataset_wrapper import DatasetWrapper
from vrm_mm.registry import DATASETS

NEGATIVES = ('other_class', 'any')
# drawing K of a pool by a permutation costs O(pool), by rejection O(K)
# with a larger constant: permute pools up to this many times K
_PERMUTE_UP_TO = 16


def _draw_distinct(pool: int, k: int) -> torch.Tensor:
    """``k`` distinct integers of ``[0, pool)``, uniformly, in random order,
    from torch's default generator (the one SampleSeededPipeline seeds)."""
    if pool <= _PERMUTE_UP_TO * k:
        return torch.randperm(pool)[:k]
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < k:
        draws = np.concatenate(
            [chosen, torch.randint(pool, (2 * k, )).numpy()])
        # first occurrences in draw order: sequential draws without
        # replacement, i.e. a uniform k-subset in uniform order
        _, first = np.unique(draws, return_index=True)
        chosen = draws[np.sort(first)]
    return torch.from_numpy(chosen[:k])


def dataset_labels(dataset) -> np.ndarray:
    """Every sample's class index, read without loading images:
    ``get_gt_labels()`` (mmpretrain datasets) or ``gt_label`` of each
    ``get_data_info(i)`` (mmengine datasets and wrappers)."""
    if hasattr(dataset, 'get_gt_labels'):
        labels = dataset.get_gt_labels()
    elif hasattr(dataset, 'get_data_info'):
        labels = [dataset.get_data_info(i)['gt_label']
                  for i in range(len(dataset))]
    else:
        raise TypeError(
            f'ContrastSampleDataset: {type(dataset).__name__} has neither '
            "get_gt_labels() nor get_data_info(i)['gt_label'], so the "
            "samples' classes are unknown; wrap an mmpretrain/mmengine "
            "dataset, or use negatives='any' (no labels needed).")
    return np.asarray([int(np.asarray(label).reshape(-1)[0])
                       for label in labels], dtype=np.int64)


class ContrastSampler:
    """The wrapper's ``pipeline``: adds ``contrast_idx`` to a sample's info
    from its ``sample_idx``. Being a dataset's ``pipeline`` is what makes
    EpochSeedHook seed it by ``(seed, epoch, index)`` (see
    :func:`~vrm_mm.datasets.seeded_pipeline.seed_pipelines`).

    The pool of sample ``i`` is one block of ``order`` left out: the
    samples sorted by class with ``i``'s class left out (``'other_class'``),
    or all samples with ``i`` left out (``'any'``), so no per-class index
    lists are stored (ImageNet: O(N) memory, not O(N x classes)).
    """

    def __init__(self, labels: np.ndarray, num_negatives: int,
                 negatives: str) -> None:
        self.num_negatives = num_negatives
        size = len(labels)
        if negatives == 'any':
            self.order = np.arange(size)
            self.start = np.arange(size)
            self.skip = np.ones(size, dtype=np.int64)
            return
        self.order = np.argsort(labels, kind='stable')
        classes, starts, counts = np.unique(
            labels[self.order], return_index=True, return_counts=True)
        own = np.searchsorted(classes, labels)
        self.start, self.skip = starts[own], counts[own]

    def __call__(self, results: dict) -> dict:
        index = results['sample_idx']
        start, skip = int(self.start[index]), int(self.skip[index])
        picks = _draw_distinct(len(self.order) - skip, self.num_negatives)
        positions = picks + skip * (picks >= start)
        results['contrast_idx'] = torch.from_numpy(
            self.order[positions.numpy()])
        return results

    def __repr__(self) -> str:
        return f'ContrastSampler(num_negatives={self.num_negatives})'


@DATASETS.register_module()
class ContrastSampleDataset(DatasetWrapper):
    """A dataset wrapper giving each sample ``sample_idx`` and
    ``contrast_idx`` in its data sample's metainfo (for ``CRDLoss``).

    ``sample_idx`` is the index in this wrapper (the row of CRD's memory
    banks; set here, so a ConcatDataset inside still numbers its samples
    globally), ``contrast_idx`` a LongTensor of ``num_negatives`` distinct
    indices of other samples: with ``negatives='other_class'`` (CRD's
    released ``CIFAR100InstanceSample``, its default ``mode='exact'``)
    only samples of another class than the sample's own, drawn uniformly
    without replacement; with ``'any'`` any sample but itself. Labels are
    read once at construction without loading images.

    The draws come from torch's generator, which EpochSeedHook (added by
    ``tools/train.py``) seeds from ``(seed, epoch, index)`` before each
    sample, as it does for augmentations: the negatives are the same
    whichever worker loads a sample and after a mid-epoch resume, and
    differ from epoch to epoch. Without that hook they are random like
    unseeded augmentations.

    Example config (CRD on CIFAR-100, K = 16384)::

        train_dataloader = dict(dataset=dict(
            _delete_=True, type='ContrastSampleDataset',
            num_negatives=16384, dataset=_base_.train_dataloader.dataset))

    Args:
        dataset: The wrapped dataset or its config; its pipeline must pack
            a ``DataSample`` (mmpretrain's ``PackInputs``).
        num_negatives: ``K``, the contrast indices per sample (16384 in
            CRD's CIFAR-100 runs).
        negatives: ``'other_class'`` (default) or ``'any'``.
    """

    def __init__(self, dataset, num_negatives: int = 16384,
                 negatives: str = 'other_class') -> None:
        if negatives not in NEGATIVES:
            raise ValueError(f'ContrastSampleDataset: negatives={negatives!r}'
                             f' is not one of {NEGATIVES}.')
        if isinstance(num_negatives, bool) or not isinstance(
                num_negatives, int) or num_negatives <= 0:
            raise ValueError(
                'ContrastSampleDataset: num_negatives must be an integer > '
                f'0, got {num_negatives!r}; CRD uses 16384 on CIFAR-100.')
        super().__init__(dataset)
        self.num_negatives = num_negatives
        self.negatives = negatives
        size = len(self.dataset)
        if negatives == 'any':
            labels = np.zeros(size, dtype=np.int64)
            _check_pool(num_negatives, size - 1, 'other samples')
        else:
            labels = dataset_labels(self.dataset)
            classes, counts = np.unique(labels, return_counts=True)
            largest = int(np.argmax(counts))
            _check_pool(num_negatives, size - int(counts[largest]),
                        f'samples of classes other than class '
                        f'{int(classes[largest])} ({int(counts[largest])} of '
                        f'the {size} samples)')
        self.pipeline = ContrastSampler(labels, num_negatives, negatives)

    def __getitem__(self, index: int) -> dict:
        sample = self.dataset[index]
        drawn = self.pipeline(dict(sample_idx=index))
        packed = sample.get('data_samples') if isinstance(sample,
                                                          dict) else None
        if packed is None or not hasattr(packed, 'set_metainfo'):
            raise TypeError(
                'ContrastSampleDataset: the wrapped dataset returned no '
                "packed 'data_samples'; end its pipeline with "
                "dict(type='PackInputs').")
        packed.set_metainfo(
            dict(sample_idx=index, contrast_idx=drawn['contrast_idx']))
        return sample


def _check_pool(num_negatives: int, available: int, what: str) -> None:
    if available < num_negatives:
        raise ValueError(
            f'ContrastSampleDataset: num_negatives={num_negatives} distinct '
            f'negatives are drawn per sample, but the dataset has only '
            f'{available} {what}; lower num_negatives to at most '
            f'{available} (CRD: nce_k).')


def random_contrast_fields(data_samples, num_rows: int, num_negatives: int,
                           generator: torch.Generator) -> None:
    """Stand in for the wrapper on a batch that never went through it (the
    cost benchmark's in-memory batch, the analyses' test batches): sample
    ``i`` gets ``sample_idx = i`` (its memory-bank row) and
    ``num_negatives`` random rows of ``[B, num_rows)`` as ``contrast_idx``
    (never a row of the batch, so a positive is never a negative)."""
    batch = len(data_samples)
    _check_pool(num_negatives, num_rows - batch, 'memory-bank rows outside '
                'the batch')
    for index, sample in enumerate(data_samples):
        sample.set_metainfo(dict(
            sample_idx=index, contrast_idx=batch + torch.randint(
                num_rows - batch, (num_negatives, ), generator=generator)))
