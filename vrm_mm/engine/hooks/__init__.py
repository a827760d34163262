"""Distillation hooks."""
from .bad_sample_log_hook import BadSampleLogHook
from .ctkd_curriculum_hook import CTKDCurriculumHook, curriculum_lambda
from .distill_loss_warmup_hook import DistillLossWarmupHook
from .epoch_seed_hook import EpochSeedHook
from .experiment_identity_hook import ExperimentIdentityHook
from .last_best_accuracy_hook import LastBestAccuracyHook
from .nan_guard_hook import NanGuardHook
from .own_work_dir_hook import OwnWorkDirHook
from .preemption_hook import PreemptionHook
from .preflight_hook import PreflightHook
from .teacher_eval_hook import TeacherEvalHook
from .train_subset_accuracy_hook import TrainSubsetAccuracyHook

__all__ = [
    'DistillLossWarmupHook', 'TeacherEvalHook', 'EpochSeedHook',
    'NanGuardHook', 'PreemptionHook', 'BadSampleLogHook',
    'CTKDCurriculumHook', 'curriculum_lambda', 'TrainSubsetAccuracyHook',
    'LastBestAccuracyHook', 'ExperimentIdentityHook', 'OwnWorkDirHook',
    'PreflightHook'
]
