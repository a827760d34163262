"""Importing this package registers vrm_mm's hooks and engine components."""
from . import hooks  # noqa: F401
from .loops import MidEpochResumeTrainLoop, SkippableBatchSampler

__all__ = ['MidEpochResumeTrainLoop', 'SkippableBatchSampler']
