"""Checkpoints are written atomically: a failed save keeps the old file."""
import os

import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint

import vrm_mm  # noqa: F401  (registers the atomic backend)
from vrm_mm.utils.atomic_save import atomic_write_bytes


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
