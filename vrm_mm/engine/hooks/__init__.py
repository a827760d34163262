"""Distillation hooks: schedules of a distiller's losses and its teacher.

Runtime hooks (exact resume, preemption, pre-flight, NaN and bad-sample
guards) live in :mod:`vrm_mm.runtime.hooks`; analysis hooks in
:mod:`vrm_mm.analysis`.
"""
from .ctkd_curriculum_hook import CTKDCurriculumHook, curriculum_lambda
from .distill_loss_warmup_hook import DistillLossWarmupHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'CTKDCurriculumHook', 'curriculum_lambda', 'DistillLossWarmupHook',
    'TeacherEvalHook'
]
