"""A disk that fills up while a checkpoint is saved: one clear error, the
previous checkpoint intact and resumable, no half-written file."""
import errno
import os
import os.path as osp

import pytest
import torch
from reliability_helpers import (
    CONFIG,
    checkpoints,
    data_options,
    prepare_data,
    train_in_process,
    weights,
)

from vrm_mm.runtime.resume import find_resumable_checkpoint


@pytest.mark.slow
def test_disk_full_during_epoch_2_save(tmp_path, monkeypatch, capsys):
    data = prepare_data(str(tmp_path / 'data'))
    work_dir = str(tmp_path / 'run')
    real_fdopen = os.fdopen

    def fdopen(fd, mode='r', *args, **kwargs):
        file = real_fdopen(fd, mode, *args, **kwargs)
        if 'epoch_2.pth' in os.readlink(f'/proc/self/fd/{fd}'):
            def write(data, _write=file.write):
                _write(data[:len(data) // 2])  # a torn write, then ENOSPC
                file.flush()
                raise OSError(errno.ENOSPC, 'No space left on device')
            file.write = write
        return file

    monkeypatch.setattr(os, 'fdopen', fdopen)
    with pytest.raises(SystemExit) as stop:
        train_in_process(CONFIG, work_dir, *data_options(data),
                         'train_cfg.max_epochs=2')
    assert stop.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines()
             if line.startswith('vrm_mm:')]
    assert len(lines) == 1, lines
    assert 'DiskFullError' in lines[0]
    assert osp.join(work_dir, 'epoch_2.pth') in lines[0]
    assert 'MiB free in' in lines[0] and '--resume' in lines[0]

    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert not [name for name in os.listdir(work_dir) if '.tmp' in name]
    assert find_resumable_checkpoint(work_dir) == osp.join(
        work_dir, 'epoch_1.pth')
    state = weights(osp.join(work_dir, 'epoch_1.pth'))
    assert all(torch.isfinite(value.float()).all() for value in state.values())
