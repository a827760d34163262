"""Distillers: a student, a frozen teacher, losses on named inputs."""
from .single_teacher import SingleTeacherDistiller
from .teacher_input import TeacherInputTransform

__all__ = ['SingleTeacherDistiller', 'TeacherInputTransform']
