"""Write local files atomically, so a crash never leaves a torn checkpoint.

mmengine's ``LocalBackend.put`` opens the destination and writes into it: a
kill during a multi-hundred-MB checkpoint write leaves a truncated file where
the previous good one was. Here the bytes go to a temporary file in the same
folder, are flushed to disk, and then replace the destination with
``os.replace`` (atomic on POSIX and Windows): readers see either the old file
or the complete new one.

A full disk (``ENOSPC``, or a quota: ``EDQUOT``) during the write raises
:class:`DiskFullError`: one message naming the file, the free space and the
fix; the temporary file is removed and the previous file is untouched.
"""
import errno
import os
import os.path as osp
import shutil
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

from vrm_mm.utils.errors import VrmMmError

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(VrmMmError, OSError):
    """No space (or quota) left while writing a file atomically."""


def _disk_full_error(error: OSError, filepath: str, folder: str,
                     size: int) -> DiskFullError:
    free = shutil.disk_usage(folder).free
    kept = ('the previous file there is unchanged' if osp.exists(filepath)
            else 'nothing was written')
    return DiskFullError(
        error.errno,
        f'No space left on the device while writing {filepath} '
        f'({size / 2**20:.1f} MiB; {free / 2**20:.1f} MiB free in '
        f'{folder}): {kept}. Free disk space (e.g. keep fewer checkpoints: '
        'default_hooks.checkpoint.max_keep_ckpts=N) or write to another '
        'disk (--work-dir), then continue with --resume.')


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
    except BaseException as error:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        if isinstance(error, OSError) and error.errno in _DISK_FULL:
            raise _disk_full_error(error, filepath, folder,
                                   len(data)) from None
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
