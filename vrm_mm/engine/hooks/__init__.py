"""Distillation hooks."""
from .distill_loss_warmup_hook import DistillLossWarmupHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = ['DistillLossWarmupHook', 'TeacherEvalHook']
