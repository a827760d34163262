"""Errors that vrm_mm reports as one clear message, without a traceback.

``tools/train.py`` prints any :class:`VrmMmError` raised during training as
``vrm_mm: training failed: <Type>: <message>`` and exits with status 1
(``VRM_MM_TRACEBACK=1`` shows the traceback). Raise them for problems the
user can fix from the message alone: a bad config or batch, a diverging
loss. The concrete classes also derive from the builtin a caller would
expect (``ValueError``, ``FloatingPointError``), so ``except ValueError``
keeps working.
"""


class VrmMmError(Exception):
    """Base of the errors whose message names the problem and the fix."""


class DistillConfigError(VrmMmError, ValueError):
    """A distillation config that cannot work (names, types, shapes)."""


class DistillDataError(VrmMmError, ValueError):
    """A batch the distiller or one of its losses cannot use."""


class NonFiniteLossError(VrmMmError, FloatingPointError):
    """A loss became NaN or infinite during training."""


class WrongScopeError(VrmMmError, KeyError):
    """One of vrm_mm's components built from another registry scope."""

    def __str__(self) -> str:
        # KeyError would quote the message
        return str(self.args[0])
