"""Augmentation randomness as a function of ``(seed, epoch, sample index)``.

Data loader workers draw augmentations from numpy's, python's and torch's
global generators, whose state depends on which worker got which samples
before: results then change with ``num_workers`` and cannot be replayed
from the middle of an epoch. :class:`SampleSeededPipeline` reseeds every
generator before each sample from a hash of the base seed, the epoch and
the sample's dataset index, so a sample's augmentation is the same whoever
loads it and whenever.
"""
import hashlib
import multiprocessing
import random
import struct
from typing import Callable, Iterator

import numpy as np
import torch

from vrm_mm.utils.errors import VrmMmError

# First entropy word of the streams: per-sample data draws, or the model's
# draws in the main process (see EpochSeedHook).
SAMPLE_STREAM, MODEL_STREAM = 0, 1


def seed_everything(*entropy: int, devices: bool = True) -> None:
    """Seed python's ``random``, numpy's and torch's global generators.

    The integers are hashed together (BLAKE2b), so neighbouring tuples such
    as ``(seed, epoch)`` and ``(seed, epoch + 1)`` give unrelated streams.
    numpy gets 32 bits of the hash (its fast integer seeding), python and
    torch 64 bits.

    Args:
        *entropy: Non-negative integers, e.g. ``(seed, epoch, index)``.
        devices: also seed torch's CUDA (and other device) generators;
            ``torch.manual_seed`` then costs ~0.2 ms, the CPU generator
            alone ~1 us (what data transforms use).
    """
    words = struct.pack(f'<{len(entropy)}Q',
                        *(int(e) % 2**64 for e in entropy))
    digest = hashlib.blake2b(words, digest_size=20).digest()
    python_seed = int.from_bytes(digest[:8], 'little')
    torch_seed = int.from_bytes(digest[8:16], 'little')
    random.seed(python_seed)
    np.random.seed(int.from_bytes(digest[16:], 'little'))
    if devices:
        torch.manual_seed(torch_seed)
    else:
        torch.default_generator.manual_seed(torch_seed)


def shared_epoch() -> 'multiprocessing.sharedctypes.Synchronized':
    """An epoch counter in shared memory: the main process sets it before
    an epoch's first batch is requested; forked and persistent data loader
    workers read the new value."""
    return multiprocessing.RawValue('q', -1)


class SampleSeededPipeline:
    """A dataset pipeline that first seeds every generator from
    ``(seed, epoch, stream, results['sample_idx'])``.

    ``sample_idx`` is the index mmengine's ``BaseDataset.get_data_info``
    writes into each sample's info (mmpretrain's ``PackInputs`` then puts it
    in the data sample's metainfo, where e.g. a memory bank can read it).
    ``stream`` tells apart the datasets of a ``ConcatDataset``, whose
    members number their samples from 0 each.

    Args:
        pipeline: the dataset's pipeline (a callable on the info dict).
        seed: the run's base seed.
        epoch: the shared epoch counter (:func:`shared_epoch`).
        stream: an integer distinct for each dataset of the run.
    """

    def __init__(self, pipeline: Callable, seed: int, epoch,
                 stream: int) -> None:
        self.pipeline = pipeline
        self.seed = seed
        self.epoch = epoch
        self.stream = stream

    @property
    def transforms(self) -> list:
        return self.pipeline.transforms

    def __call__(self, results: dict):
        index = results.get('sample_idx')
        if index is None:
            raise VrmMmError(
                'EpochSeedHook seeds augmentations by sample index, but this '
                "train dataset gives its pipeline no 'sample_idx' (mmengine's"
                ' BaseDataset does): derive the dataset from BaseDataset, or '
                'set default_hooks.epoch_seed=None (resume is then not '
                'exact).')
        seed_everything(self.seed, SAMPLE_STREAM, self.epoch.value,
                        self.stream, index, devices=False)
        return self.pipeline(results)

    def __repr__(self) -> str:
        return repr(self.pipeline)


def _own(obj, attr: str):
    """``obj.attr`` if set on ``obj`` itself (not delegated), else None."""
    return getattr(obj, '__dict__', {}).get(attr)


def dataset_cfgs(dataset_cfg: dict) -> Iterator[dict]:
    """A dataset config and the configs it wraps (``dataset`` /
    ``datasets`` keys: ContrastSampleDataset, Concat, Repeat...), outermost
    first: where a tool finds the pipeline of a wrapped dataset."""
    yield dataset_cfg
    if isinstance(dataset_cfg.get('dataset'), dict):
        yield from dataset_cfgs(dataset_cfg['dataset'])
    for inner in dataset_cfg.get('datasets') or ():
        if isinstance(inner, dict):
            yield from dataset_cfgs(inner)


def _datasets(dataset) -> Iterator:
    """``dataset`` and the datasets it wraps (Concat, Repeat, sliced...)."""
    yield dataset
    for attr in ('dataset', '_dataset'):
        if _own(dataset, attr) is not None:
            yield from _datasets(_own(dataset, attr))
    for inner in _own(dataset, 'datasets') or ():
        yield from _datasets(inner)


def seed_pipelines(dataset, seed: int, epoch) -> int:
    """Wrap the pipeline of ``dataset`` and of every dataset it wraps in a
    :class:`SampleSeededPipeline` (once; a second call rewraps).

    Returns:
        The number of pipelines wrapped.
    """
    count = 0
    for inner in _datasets(dataset):
        pipeline = _own(inner, 'pipeline')
        if not callable(pipeline):
            continue
        if isinstance(pipeline, SampleSeededPipeline):
            pipeline = pipeline.pipeline
        inner.pipeline = SampleSeededPipeline(pipeline, seed, epoch, count)
        count += 1
    return count
