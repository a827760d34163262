"""The teacher's options: its input (the student's batch re-normalised and
resized for it) and the opt-in speed options for GPUs (memory format, a
low-precision teacher, ``torch.compile``).

Bring student-normalised images to the teacher's normalisation and size.

Opt-in speed options of a distiller, for GPUs: memory format, a
low-precision teacher and ``torch.compile``.
"""
import contextlib
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .model_outputs import has_head


class TeacherInputTransform(nn.Module):
    """Re-normalise (and optionally resize) the student's input batch.

    The data preprocessor gives ``x_s = (x - m_s) / s_s``; a teacher trained
    with mean ``m_t`` and std ``s_t`` must see ``x_t = (x - m_t) / s_t =
    (x_s * s_s + m_s - m_t) / s_t``, computed as ``x_s * a + b`` with
    ``a = s_s / s_t`` and ``b = (m_s - m_t) / s_t`` per channel. A resize
    (bilinear) serves teachers trained at another resolution, e.g. a 32 px
    CIFAR teacher with a 224 px DeiT student.

    The constants are non-persistent buffers: they follow ``.to(device)``
    and never enter checkpoints.

    Args:
        student_mean: ``m_s`` per channel (the data preprocessor's mean).
        student_std: ``s_s`` per channel.
        teacher_mean: ``m_t`` per channel, on the same (0-255) scale.
        teacher_std: ``s_t`` per channel.
        size: ``(H, W)`` to resize to, or None to keep the size.
    """

    def __init__(self,
                 student_mean: Optional[Sequence[float]] = None,
                 student_std: Optional[Sequence[float]] = None,
                 teacher_mean: Optional[Sequence[float]] = None,
                 teacher_std: Optional[Sequence[float]] = None,
                 size: Optional[Sequence[int]] = None) -> None:
        super().__init__()
        self.renormalize = teacher_mean is not None
        if self.renormalize:
            m_s, s_s, m_t, s_t = (
                torch.as_tensor(v, dtype=torch.float32).flatten()
                for v in (student_mean, student_std, teacher_mean,
                          teacher_std))
            channels = {len(v) for v in (m_s, s_s, m_t, s_t)}
            if len(channels) != 1:
                raise ValueError(
                    'teacher_norm mean/std and the data preprocessor\'s '
                    'mean/std need one value per channel each, got '
                    f'{len(m_t)}/{len(s_t)} and {len(m_s)}/{len(s_s)}.')
            self.register_buffer(
                'scale', (s_s / s_t).view(-1, 1, 1), persistent=False)
            self.register_buffer(
                'shift', ((m_s - m_t) / s_t).view(-1, 1, 1),
                persistent=False)
        self.size = None if size is None else tuple(size)

    def forward(self, inputs: Tensor) -> Tensor:
        """Transform a ``B x C x H x W`` student batch for the teacher."""
        if self.renormalize:
            inputs = inputs * self.scale + self.shift
        if self.size is not None and tuple(inputs.shape[-2:]) != self.size:
            inputs = F.interpolate(
                inputs, size=self.size, mode='bilinear', align_corners=False)
        return inputs


def build_teacher_input_transform(
        teacher_norm: Optional[dict], size: Optional[Sequence[int]],
        data_preprocessor: nn.Module) -> TeacherInputTransform:
    """The transform for a distiller's ``teacher_norm`` and input size.

    Args:
        teacher_norm: ``dict(mean=[...], std=[...])`` (0-255 scale) of the
            teacher's training, or None when it matches the student's.
        size: ``(H, W)`` of the teacher's inputs, or None.
        data_preprocessor: The distiller's preprocessor (the student's
            normalisation).
    """
    if teacher_norm is None:
        return TeacherInputTransform(size=size)
    if set(teacher_norm) != {'mean', 'std'}:
        raise ValueError(
            'teacher_norm must be dict(mean=[...], std=[...]) on the 0-255 '
            f'scale, got keys {sorted(teacher_norm)}.')
    if not getattr(data_preprocessor, '_enable_normalize', False):
        raise ValueError(
            "teacher_norm re-normalises the student's inputs, but the data "
            'preprocessor does not normalise: give it mean and std.')
    return TeacherInputTransform(data_preprocessor.mean.cpu(),
                                 data_preprocessor.std.cpu(),
                                 teacher_norm['mean'], teacher_norm['std'],
                                 size)


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
