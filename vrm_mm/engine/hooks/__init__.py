"""Distillation hooks."""
from .bad_sample_log_hook import BadSampleLogHook
from .ctkd_curriculum_hook import CTKDCurriculumHook, curriculum_lambda
from .distill_loss_warmup_hook import DistillLossWarmupHook
from .epoch_seed_hook import EpochSeedHook
from .nan_guard_hook import NanGuardHook
from .preemption_hook import PreemptionHook
from .teacher_eval_hook import TeacherEvalHook
from .train_subset_accuracy_hook import TrainSubsetAccuracyHook

__all__ = [
    'DistillLossWarmupHook', 'TeacherEvalHook', 'EpochSeedHook',
    'NanGuardHook', 'PreemptionHook', 'BadSampleLogHook',
    'CTKDCurriculumHook', 'curriculum_lambda', 'TrainSubsetAccuracyHook'
]
