"""Random state that depends on the epoch only, so ``--resume`` is exact."""
import multiprocessing
import random
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import get_worker_info

from vrm_mm.registry import HOOKS

# Streams per (seed, epoch, rank): the main process's data stream, its
# model stream, then one per data loader worker.
_DATA, _MODEL, _FIRST_WORKER = 0, 1, 2


def seed_everything(*entropy: int) -> None:
    """Seed python's ``random``, numpy's and torch's global generators.

    The integers are hashed together (numpy's ``SeedSequence``), so
    neighbouring tuples such as ``(seed, epoch)`` and ``(seed, epoch + 1)``
    give unrelated streams.

    Args:
        *entropy: Non-negative integers, e.g. ``(seed, epoch, rank)``.
    """
    state = np.random.SeedSequence([int(e) % 2**64 for e in entropy])
    words = state.generate_state(4, dtype=np.uint32)
    random.seed(int(words[0]) << 32 | int(words[1]))
    np.random.seed(words)
    torch.manual_seed(int(words[2]) << 32 | int(words[3]))


class _WorkerSeeder:
    """Reseeds a data loader worker when a new epoch's samples start.

    One instance is shared by every wrapped pipeline of a dataset, so a
    worker reseeds once per epoch. ``epoch`` lives in shared memory: the
    main process sets it before the epoch's first batch is requested, and
    persistent workers see the new value.
    """

    def __init__(self, seed: int, rank: int) -> None:
        self.seed = seed
        self.rank = rank
        self.epoch = multiprocessing.RawValue('q', -1)
        self._seeded_epoch: Optional[int] = None

    def __call__(self) -> None:
        worker = get_worker_info()
        if worker is None:  # num_workers=0: the hook seeds the main process
            return
        epoch = self.epoch.value
        if epoch != self._seeded_epoch:
            seed_everything(self.seed, epoch, self.rank,
                            _FIRST_WORKER + worker.id)
            self._seeded_epoch = epoch


class _SeededPipeline:
    """A dataset pipeline that first lets the worker reseed."""

    def __init__(self, pipeline, seeder: _WorkerSeeder) -> None:
        self.pipeline = pipeline
        self.seeder = seeder

    @property
    def transforms(self) -> list:
        return self.pipeline.transforms

    def __call__(self, results: dict):
        self.seeder()
        return self.pipeline(results)

    def __repr__(self) -> str:
        return repr(self.pipeline)


def _own(obj, attr: str):
    """``obj.attr`` if set on ``obj`` itself (not delegated), else None."""
    return getattr(obj, '__dict__', {}).get(attr)


def _datasets(dataset) -> Iterator:
    """``dataset`` and the datasets it wraps (Concat, Repeat, sliced...)."""
    yield dataset
    for attr in ('dataset', '_dataset'):
        if _own(dataset, attr) is not None:
            yield from _datasets(_own(dataset, attr))
    for inner in _own(dataset, 'datasets') or ():
        yield from _datasets(inner)


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Derive all training randomness from ``(seed, epoch, rank)``.

    mmengine's resume restores weights, optimizer, schedulers, the message
    hub, the epoch and the base seed, but not the generators that draw
    augmentations (numpy, ``random``, torch): a resumed run draws other
    virtual views than the uninterrupted one. This hook makes every
    generator a function of the epoch instead of the history:

    * before each training epoch, the main process is seeded from
      ``(seed, epoch, rank)`` (transforms with ``num_workers=0``);
    * before the epoch's first iteration, again from another stream of the
      same triple (dropout, Mixup/CutMix in the data preprocessor, ...),
      because creating a data loader iterator draws from torch's generator
      and persistent workers create it only in the first epoch of a
      process;
    * each data loader worker reseeds from ``(seed, epoch, rank,
      worker id)`` before its first sample of each epoch, persistent
      workers included (the train dataset's ``pipeline`` is wrapped).

    A run stopped after epoch ``k`` and resumed from ``epoch_k.pth`` thus
    ends with the same weights, bit for bit on CPU, as the uninterrupted
    run with the same ``num_workers`` (the sample order comes from
    mmengine's ``DefaultSampler``, seeded by seed and epoch). Each epoch
    draws anew, also with non-persistent workers (mmengine's own worker
    seeding repeats the same draws every epoch). Not exact: resuming from
    a mid-epoch iteration checkpoint (mmengine's epoch loop restarts the
    epoch); iteration-based loops, which run a single epoch (their resume
    replays the skipped batches' data but not the model's draws, and
    non-persistent workers repeat their draws every pass over the data, as
    with mmengine's seeding); datasets without a ``pipeline`` attribute
    under persistent workers; GPU kernels that are nondeterministic
    themselves (see ``randomness=dict(deterministic=True)``). Different
    world sizes or worker counts draw different augmentations.

    Example config (``configs/_base_/default_runtime.py`` has it)::

        default_hooks = dict(epoch_seed=dict(type='EpochSeedHook'))
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._seeder: Optional[_WorkerSeeder] = None

    def before_train(self, runner: Runner) -> None:
        """Wrap the train dataset's pipelines (before workers start)."""
        self._seeder = _WorkerSeeder(runner.seed, get_rank())
        for dataset in _datasets(runner.train_dataloader.dataset):
            pipeline = _own(dataset, 'pipeline')
            if not callable(pipeline):
                continue
            if isinstance(pipeline, _SeededPipeline):
                pipeline = pipeline.pipeline
            dataset.pipeline = _SeededPipeline(pipeline, self._seeder)

    def before_train_epoch(self, runner: Runner) -> None:
        seed_everything(runner.seed, runner.epoch, get_rank(), _DATA)
        if self._seeder is not None:
            self._seeder.epoch.value = runner.epoch

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if batch_idx == 0:
            seed_everything(runner.seed, runner.epoch, get_rank(), _MODEL)
