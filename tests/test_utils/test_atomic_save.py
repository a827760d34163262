"""Checkpoints are written atomically: a failed save keeps the old file."""
import errno
import os

import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint

import vrm_mm  # noqa: F401  (registers the atomic backend)
from vrm_mm.utils.atomic_save import DiskFullError, atomic_write_bytes


class ExplodingWrite(Exception):
    pass


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, str(path))

    real_fsync = os.fsync

    def crash_after_partial_write(fd):
        # the new bytes are in the temporary file when the "kill" happens
        raise ExplodingWrite('killed mid-save')

    monkeypatch.setattr(os, 'fsync', crash_after_partial_write)
    with pytest.raises(ExplodingWrite):
        save_checkpoint({'state_dict': {'w': torch.zeros(1000)}}, str(path))
    monkeypatch.setattr(os, 'fsync', real_fsync)

    loaded = torch.load(path, weights_only=True)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(3))
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']  # no temp left


def test_mmengine_save_goes_through_the_atomic_path(tmp_path, monkeypatch):
    calls = []
    import vrm_mm.utils.atomic_save as atomic_save
    real = atomic_save.atomic_write_bytes
    monkeypatch.setattr(
        atomic_save, 'atomic_write_bytes',
        lambda data, path: (calls.append(str(path)), real(data, path)))
    path = str(tmp_path / 'iter_2.pth')
    save_checkpoint({'state_dict': {}}, path)
    assert calls == [path]


def test_atomic_write_replaces_content(tmp_path):
    path = tmp_path / 'sub' / 'file.bin'
    atomic_write_bytes(b'old', path)
    atomic_write_bytes(b'new', path)
    assert path.read_bytes() == b'new'


def test_disk_full_is_one_clear_error_and_keeps_previous(tmp_path,
                                                         monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, str(path))
    real_fdopen = os.fdopen

    class FillsTheDisk:
        """A file whose write stores half the bytes, then hits ENOSPC."""

        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(data[:len(data) // 2])
            self.file.flush()
            raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fdopen', FillsTheDisk)
    with pytest.raises(DiskFullError) as error:
        save_checkpoint({'state_dict': {'w': torch.zeros(1000)}}, str(path))
    monkeypatch.setattr(os, 'fdopen', real_fdopen)

    message = str(error.value)
    assert error.value.errno == errno.ENOSPC
    assert str(path) in message and 'MiB free in' in message
    assert 'previous file there is unchanged' in message
    assert 'max_keep_ckpts' in message and '--resume' in message
    loaded = torch.load(path, weights_only=True)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(3))
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']  # no temp left
