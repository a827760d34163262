"""Stop clearly at, or deterministically replace, unreadable samples.

One corrupt or missing image otherwise kills a days-long run when it is
reached, with mmcv's ``AssertionError: failed to load image`` (or a decode
error) and a traceback from a data loader worker.
"""
from typing import Optional, Tuple

import torch

from vrm_mm.datasets.dataset_wrapper import DatasetWrapper
from vrm_mm.registry import DATASETS
from vrm_mm.utils.errors import VrmMmError

POLICIES = ('raise', 'skip')
_CONFIG_HINT = "bad_samples = dict(policy='skip', max_skipped=10)"


class BadSampleError(VrmMmError, ValueError):
    """A training sample that cannot be read or decoded."""

    def __init__(self, message: str) -> None:
        # torch re-raises a worker's error in the main process as
        # ``type(error)(text with the worker's traceback)``: keep our line
        if message.startswith(f'Caught {type(self).__name__}'):
            message = message.rstrip().rsplit(
                f'{type(self).__name__}: ', 1)[-1]
        super().__init__(message)


def is_unreadable(error: BaseException) -> bool:
    """Whether ``error`` means the file could not be read or decoded.

    mmcv's ``LoadImageFromFile`` asserts ``failed to load image`` when
    OpenCV returns nothing; files that are missing or that Pillow cannot
    decode raise ``OSError``; OpenCV raises ``cv2.error`` on empty bytes.
    """
    if isinstance(error, AssertionError):
        return str(error).startswith('failed to load image')
    if isinstance(error, OSError):
        return True
    return type(error).__module__ == 'cv2' and type(error).__name__ == 'error'


def check_bad_sample_policy(policy: str, max_skipped: int) -> None:
    if policy not in POLICIES:
        raise ValueError(f"bad_samples: policy={policy!r} is not one of "
                         f'{POLICIES}; e.g. {_CONFIG_HINT}.')
    if isinstance(max_skipped, bool) or not isinstance(
            max_skipped, int) or max_skipped < 0:
        raise ValueError('bad_samples: max_skipped must be an integer >= 0, '
                         f'got {max_skipped!r}.')


@DATASETS.register_module()
class BadSampleGuard(DatasetWrapper):
    """A dataset wrapper that stops at or replaces unreadable samples.

    ``tools/train.py`` wraps every train dataset in it, configured by the
    top-level ``bad_samples`` (absent: ``policy='raise'``). With
    ``'raise'``, an unreadable sample stops training with one line naming
    its file and index (nothing is saved after the last checkpoint). With
    ``'skip'`` it is replaced by the next readable index (cyclically), so
    the replacement is the same in every run and with any ``num_workers``;
    a run stops once more than ``max_skipped`` distinct samples were
    unreadable. Which samples were bad and how often each was replaced live
    in shared memory, so that the main process (``BadSampleLogHook``) sees
    what the data loader workers found.

    Only read/decode failures (see :func:`is_unreadable`) are caught: any
    other error in the pipeline is a bug and keeps its traceback.
    Augmentation seeding (``SampleSeededPipeline``) wraps the inner
    datasets' pipelines, so a replacement sample is augmented as it would
    be at its own index.

    Example config::

        bad_samples = dict(policy='skip', max_skipped=10)

    Args:
        dataset: the dataset, or its config.
        policy: ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        max_skipped: with ``'skip'``, the most distinct unreadable samples
            tolerated. Defaults to 10.
    """

    def __init__(self, dataset, policy: str = 'raise',
                 max_skipped: int = 10) -> None:
        check_bad_sample_policy(policy, max_skipped)
        super().__init__(dataset)
        self.policy = policy
        self.max_skipped = max_skipped
        size = len(self.dataset)
        # bad[i]: sample i is unreadable; replaced[i]: times it was replaced
        self.bad = torch.zeros(size, dtype=torch.int32).share_memory_()
        self.replaced = torch.zeros(size, dtype=torch.int32).share_memory_()

    def describe(self, index: int) -> str:
        """``file (index i)`` for sample ``index``."""
        info = self.dataset.get_data_info(index) if hasattr(
            self.dataset, 'get_data_info') else {}
        path = info.get('img_path') or info.get('filename')
        return f'{path} (index {index})' if path else f'sample {index}'

    def _read(self, index: int) -> Tuple[Optional[dict], str]:
        """The sample and ``''``, or None and why (and it is marked bad)."""
        if self.bad[index]:
            return None, 'unreadable before'
        try:
            return self.dataset[index], ''
        except Exception as error:
            if not is_unreadable(error):
                raise
            self.bad[index] = 1
            return None, f'{type(error).__name__}: {error}'

    def __getitem__(self, index: int):
        sample, why = self._read(index)
        if sample is not None:
            return sample
        what = f'Unreadable training sample {self.describe(index)}'
        if self.policy == 'raise':
            raise BadSampleError(
                f'{what}: {why}. Replace or remove the file and '
                'continue with --resume, or replace unreadable samples by '
                f'the next readable one: {_CONFIG_HINT}.')
        self.replaced[index] += 1
        bad = int(self.bad.sum())
        if bad > self.max_skipped:
            raise BadSampleError(
                f'{what}: {bad} unreadable samples, more than '
                f'bad_samples.max_skipped={self.max_skipped}. Check the '
                'data (the log lists the files) or raise max_skipped.')
        for offset in range(1, len(self)):
            sample, _ = self._read((index + offset) % len(self))
            if sample is not None:
                return sample
        raise BadSampleError('No readable sample in the training set.')
