"""Opt-in speed options of a distiller, for GPUs: memory format, a
low-precision teacher and ``torch.compile``."""
import contextlib
from typing import Optional, Union

import torch
from torch import Tensor, nn

from .classifier_io import has_head

TEACHER_DTYPES = dict(bfloat16=torch.bfloat16, float16=torch.float16)


class SpeedOptions:
    """What ``SingleTeacherDistiller`` does with ``channels_last``,
    ``teacher_autocast`` and ``compile``.

    Args:
        channels_last: Student, teacher and input batches in the
            ``channels_last`` memory format (NHWC): faster convolutions on
            tensor-core GPUs, above all under AMP.
        teacher_autocast: ``'bfloat16'`` or ``'float16'``: the teacher's
            forward under ``torch.autocast`` in that dtype; its outputs are
            cast back to float32 before any loss. None keeps it in the
            step's precision.
        compile: True, or a dict of ``torch.compile`` keyword arguments:
            compile the student's and the teacher's backbone, neck and head
            in place (parameter names, hence checkpoints, unchanged).
    """

    def __init__(self,
                 channels_last: bool = False,
                 teacher_autocast: Optional[str] = None,
                 compile: Union[bool, dict] = False) -> None:
        if teacher_autocast is not None and (teacher_autocast
                                             not in TEACHER_DTYPES):
            raise ValueError(
                f'teacher_autocast={teacher_autocast!r}: use one of '
                f'{sorted(TEACHER_DTYPES)} or None (float32).')
        if not isinstance(compile, (bool, dict)):
            raise TypeError('compile must be True/False or a dict of '
                            'torch.compile arguments, got '
                            f'{type(compile).__name__}.')
        self.channels_last = channels_last
        self.teacher_dtype = TEACHER_DTYPES.get(teacher_autocast)
        if compile is True:
            compile = {}
        self.compile = compile if isinstance(compile, dict) else None

    def apply(self, *models: nn.Module) -> None:
        """Convert and compile the student and teacher, in place."""
        for model in models:
            if self.channels_last:
                model.to(memory_format=torch.channels_last)
            if self.compile is not None:
                _compile_in_place(model, self.compile)

    def prepare(self, inputs: Tensor) -> Tensor:
        """An input batch in the configured memory format."""
        if self.channels_last and inputs.dim() == 4:
            return inputs.contiguous(memory_format=torch.channels_last)
        return inputs

    def teacher_context(self, device_type: str):
        """The context the teacher's forward runs in."""
        if self.teacher_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type, dtype=self.teacher_dtype)


def _compile_in_place(model: nn.Module, options: dict) -> None:
    parts = [model.backbone, model.neck, model.head] if has_head(model) else [
        model
    ]
    for part in parts:
        if part is not None:
            part.compile(**options)
