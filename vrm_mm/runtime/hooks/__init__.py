"""Runtime hooks: what makes a run exact, resumable and safe.

Added by ``tools/train.py`` to every config (see :mod:`vrm_mm.runtime`),
each can also be listed in a config's ``default_hooks``/``custom_hooks``.
"""
from .bad_sample_log_hook import BadSampleLogHook
from .epoch_seed_hook import EpochSeedHook
from .experiment_identity_hook import ExperimentIdentityHook
from .image_visualization_hook import ImageVisualizationHook
from .last_best_accuracy_hook import LastBestAccuracyHook
from .nan_guard_hook import NanGuardHook
from .own_work_dir_hook import OwnWorkDirHook
from .preemption_hook import PreemptionHook
from .preflight_hook import PreflightHook

__all__ = [
    'BadSampleLogHook', 'EpochSeedHook', 'ExperimentIdentityHook',
    'ImageVisualizationHook',
    'LastBestAccuracyHook', 'NanGuardHook', 'OwnWorkDirHook',
    'PreemptionHook', 'PreflightHook'
]
