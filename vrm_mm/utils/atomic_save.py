"""Write local files atomically, so a crash never leaves a torn checkpoint.

mmengine's ``LocalBackend.put`` opens the destination and writes into it: a
kill during a multi-hundred-MB checkpoint write leaves a truncated file where
the previous good one was. Here the bytes go to a temporary file in the same
folder, are flushed to disk, and then replace the destination with
``os.replace`` (atomic on POSIX and Windows): readers see either the old file
or the complete new one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file + rename."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Make mmengine use :class:`AtomicLocalBackend` for plain paths."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
