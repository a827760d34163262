"""Small, documented fixes for mmengine 0.10.7 on torch >= 2.6.

torch >= 2.6 unpickles with ``weights_only=True`` by default. mmengine
0.10.7 calls ``torch.load`` without the argument, so its own Runner
checkpoints (which hold a ``HistoryBuffer`` and numpy objects from the
message hub) fail to load for ``--resume``, ``load_from`` and
``tools/test.py``. Rather than fall back to full unpickling (which runs code
from the file), the few classes mmengine itself writes are added to torch's
allow-list; anything else in a file is still refused. mmengine pickles a
``HistoryBuffer`` together with bound methods (through ``getattr``, which we
will not allow-list), so it is given a plain reduction that rebuilds it from
its arrays.
"""
import copyreg

import numpy as np
import torch

_APPLIED = False


def _numpy_pickle_globals() -> list:
    """The numpy reconstructors pickle uses for arrays and scalars."""
    try:  # numpy >= 2 moved the module; the old path warns there
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(name)) for name in (
            'float64', 'float32', 'float16', 'int64', 'int32', 'int16',
            'int8', 'uint8', 'bool')
    ]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def mmengine_checkpoint_globals() -> list:
    """Non-tensor classes in a checkpoint saved by mmengine's Runner."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, *_numpy_pickle_globals()]


def _reduce_history_buffer(buffer):
    return (type(buffer), (buffer._log_history, buffer._count_history,
                           buffer.max_length))


def apply_compat_patches() -> None:
    """Apply every fix once (idempotent); runs on ``import vrm_mm``."""
    global _APPLIED
    if _APPLIED:
        return
    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    _APPLIED = True
