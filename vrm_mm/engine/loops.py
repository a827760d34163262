"""An epoch-based train loop that resumes at the next batch."""
import itertools
from typing import Iterator, List

from mmengine.runner import EpochBasedTrainLoop

from vrm_mm.registry import LOOPS

# message_hub runtime info: (epoch, batches of it done), saved in every
# checkpoint with the message hub
POSITION_KEY = 'train_epoch_position'


class SkippableBatchSampler:
    """A batch sampler whose next pass can start at a given batch.

    The skipped batches are drawn as index lists only: no sample of them is
    loaded. ``len`` stays the full epoch's, as the loggers expect. ``skip``
    holds until it is reset: a DataLoader with workers calls ``iter`` twice
    when it builds its iterator, and the second pass must skip too.

    Args:
        batch_sampler: the data loader's batch sampler.
    """

    def __init__(self, batch_sampler) -> None:
        self.batch_sampler = batch_sampler
        self.skip = 0

    @property
    def sampler(self):
        """The index sampler (``DistSamplerSeedHook`` sets its epoch)."""
        return self.batch_sampler.sampler

    def __iter__(self) -> Iterator[List[int]]:
        return itertools.islice(iter(self.batch_sampler), self.skip, None)

    def __len__(self) -> int:
        return len(self.batch_sampler)


@LOOPS.register_module()
class MidEpochResumeTrainLoop(EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop``, resumable from any iteration.

    mmengine restarts the epoch when it resumes from an iteration
    checkpoint (``CheckpointHook(interval=N, by_epoch=False)``): the
    batches trained before the stop are trained twice. This loop records
    its position ``(epoch, batches done)`` in the message hub before each
    iteration's ``after_train_iter`` hooks (so every checkpoint saved there
    or at the epoch's end holds it); after a resume, the epoch the
    checkpoint was saved in continues at the next batch, with the skipped
    batches drawn as indices only. The batch order must be a function of
    seed and epoch (mmengine's ``DefaultSampler``); with ``EpochSeedHook``
    the resumed run then ends with the same weights as the straight one.

    ``tools/train.py`` selects this loop for every epoch-based config. Its
    config is ``EpochBasedTrainLoop``'s::

        train_cfg = dict(type='MidEpochResumeTrainLoop', max_epochs=100)
    """

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        super().__init__(runner, dataloader, *args, **kwargs)
        if self.dataloader.batch_sampler is None:
            raise ValueError(
                'MidEpochResumeTrainLoop needs a batched train_dataloader '
                '(batch_size or batch_sampler set).')
        self._batches = SkippableBatchSampler(self.dataloader.batch_sampler)
        # torch forbids replacing the batch sampler once the DataLoader is
        # built (a live iterator would keep the old one); none exists yet
        object.__setattr__(self.dataloader, 'batch_sampler', self._batches)

    def run_epoch(self) -> None:
        """Iterate one epoch, from the resumed batch on."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        epoch, done = self.runner.message_hub.get_info(
            POSITION_KEY, (None, 0))
        start = done if epoch == self._epoch else 0
        self._batches.skip = start
        for idx, data_batch in enumerate(self.dataloader, start):
            self.run_iter(idx, data_batch)
        self._batches.skip = 0
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx, data_batch) -> None:
        self.runner.message_hub.update_info(POSITION_KEY,
                                            (self._epoch, idx + 1))
        super().run_iter(idx, data_batch)
