"""Random state that depends on the position in training only, so
``--resume`` is exact (also mid-epoch) and ``num_workers`` does not matter."""
import warnings
from typing import Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop, Runner

from vrm_mm.datasets.seeded_pipeline import (
    MODEL_STREAM,
    seed_everything,
    seed_pipelines,
    shared_epoch,
)
from vrm_mm.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Derive all training randomness from where training is.

    mmengine's resume restores weights, optimizer, schedulers, the message
    hub, the epoch and the base seed, but not the generators that draw
    augmentations (numpy, ``random``, torch): a resumed run draws other
    views than the uninterrupted one. This hook makes every generator a
    function of the position instead of the history:

    * each training sample's transforms run after seeding from
      ``(seed, epoch, sample index)`` (the train dataset's pipelines are
      wrapped in :class:`~vrm_mm.datasets.seeded_pipeline.
      SampleSeededPipeline`), in whichever process loads it;
    * before each iteration, the main process is seeded from
      ``(seed, rank, iteration)`` (dropout, Mixup/CutMix in the data
      preprocessor, ...).

    With mmengine's ``DefaultSampler`` (order from seed and epoch) and
    ``tools/train.py``'s ``MidEpochResumeTrainLoop``, a run resumed from
    any epoch or iteration checkpoint thus ends with the same weights, bit
    for bit on CPU, as the uninterrupted run, and runs with any
    ``num_workers`` give the same weights. Not exact: iteration-based loops
    (their ``InfiniteSampler`` has no epoch, so the samples are not
    reseeded there: every pass would repeat its draws); train datasets
    without a ``pipeline``; GPU kernels that are nondeterministic
    themselves (see ``randomness=dict(deterministic=True)``).

    ``tools/train.py`` adds this hook to every config that does not set
    ``default_hooks.epoch_seed=None``. Example config::

        default_hooks = dict(epoch_seed=dict(type='EpochSeedHook'))
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._epoch = shared_epoch()

    def before_train(self, runner: Runner) -> None:
        """Wrap the train dataset's pipelines (before workers start)."""
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            return
        dataset = runner.train_dataloader.dataset
        if seed_pipelines(dataset, runner.seed, self._epoch) == 0:
            warnings.warn(
                f'EpochSeedHook: the train dataset {type(dataset).__name__} '
                'has no pipeline to seed: augmentations depend on '
                'num_workers and resume is not exact.')

    def before_train_epoch(self, runner: Runner) -> None:
        self._epoch.value = runner.epoch

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        seed_everything(runner.seed, MODEL_STREAM, get_rank(), runner.iter)
