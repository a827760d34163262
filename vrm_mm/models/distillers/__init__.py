"""Distillers: a student, a frozen teacher, losses on named inputs."""
from .build import load_model_cfg
from .single_teacher import SingleTeacherDistiller
from .teacher_options import TeacherInputTransform

__all__ = ['SingleTeacherDistiller', 'TeacherInputTransform', 'load_model_cfg']
