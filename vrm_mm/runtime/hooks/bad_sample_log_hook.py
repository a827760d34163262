"""Log, every epoch, the unreadable training samples that were replaced."""
from typing import Iterator, Optional

from mmengine import dist
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vrm_mm.datasets.bad_sample_guard import BadSampleError, BadSampleGuard
from vrm_mm.registry import HOOKS

_LISTED = 20  # files named in one log line


def _wrapped(dataset) -> Iterator:
    """``dataset`` and the datasets it wraps (``num_batch_per_epoch``
    slices keep theirs in ``_dataset``)."""
    while dataset is not None:
        yield dataset
        own = vars(dataset)
        dataset = own.get('dataset', own.get('_dataset'))


@HOOKS.register_module()
class BadSampleLogHook(Hook):
    """Log the samples :class:`~vrm_mm.datasets.BadSampleGuard` replaced.

    At the end of each epoch with any unreadable sample: how many
    replacements the epoch made, and the distinct unreadable files found
    so far (since the start or the resume; over all ranks, which each see
    their share of the data). Once
    they exceed ``bad_samples.max_skipped`` training stops, even when no
    single rank's share did. ``tools/train.py`` adds it with
    ``bad_samples = dict(policy='skip', ...)``.
    """

    priority = 'BELOW_NORMAL'

    @staticmethod
    def _guard(runner: Runner) -> Optional[BadSampleGuard]:
        for dataset in _wrapped(runner.train_dataloader.dataset):
            if isinstance(dataset, BadSampleGuard):
                return dataset
        return None

    def after_train_epoch(self, runner: Runner) -> None:
        guard = self._guard(runner)
        if guard is None:
            return
        bad, replaced = guard.bad.clone(), guard.replaced.clone()
        # the epoch's workers are done: count the next epoch from 0
        guard.replaced.zero_()
        dist.all_reduce(bad, op='max')  # no-op in a single process
        dist.all_reduce(replaced, op='sum')
        indices = bad.nonzero().flatten().tolist()
        if not indices:
            return
        files = ', '.join(guard.describe(i) for i in indices[:_LISTED])
        more = (f' and {len(indices) - _LISTED} more'
                if len(indices) > _LISTED else '')
        runner.logger.warning(
            f'bad_samples: epoch {runner.epoch + 1} replaced '
            f'{int(replaced.sum())} unreadable samples; {len(indices)} '
            f'distinct so far (at most {guard.max_skipped}): {files}{more}.')
        if len(indices) > guard.max_skipped:
            raise BadSampleError(
                f'{len(indices)} unreadable training samples over the ranks, '
                f'more than bad_samples.max_skipped={guard.max_skipped}: '
                f'{files}{more}. Check the data or raise max_skipped.')
