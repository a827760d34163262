"""Distillers: a student, a frozen teacher, losses on named inputs."""
from .model_cfg import load_model_cfg
from .single_teacher import SingleTeacherDistiller
from .teacher_input import TeacherInputTransform

__all__ = ['SingleTeacherDistiller', 'TeacherInputTransform', 'load_model_cfg']
