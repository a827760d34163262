"""Unreadable training samples: one clear line, or deterministic skipping.

The tiny VRM config's image folder gets a truncated JPEG (an interrupted
download: the first half of a real JPEG) and a garbage PNG (random bytes);
``tools/train.py`` wraps every train dataset in ``BadSampleGuard``.
"""
import io
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmpretrain.datasets import CustomDataset
from PIL import Image
from reliability_helpers import (
    CONFIG,
    assert_same_weights,
    checkpoints,
    data_options,
    prepare_data,
    run_tool,
    stopped_before_training,
    train_in_process,
    weights,
)

from vrm_mm.datasets.bad_sample_guard import BadSampleError, BadSampleGuard
from vrm_mm.runtime.cli import TRACEBACK_ENV

TWO_EPOCHS = 'train_cfg.max_epochs=2'


def truncated_jpeg(path: str) -> None:
    pixels = np.random.default_rng(1).integers(0, 255, (32, 32))
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, 'JPEG')
    whole = buffer.getvalue()
    with open(path, 'wb') as f:
        f.write(whole[:len(whole) // 2])


def garbage_png(path: str) -> None:
    with open(path, 'wb') as f:
        f.write(np.random.default_rng(2).bytes(600))


@pytest.fixture
def data(tmp_path):
    data = prepare_data(str(tmp_path / 'data'))
    train = osp.join(data['root'], 'train')
    data['jpeg'] = osp.join(train, 'class0', '3.jpg')
    data['png'] = osp.join(train, 'class1', '5.png')
    return data


def corrupt(data, which=('jpeg', 'png')) -> None:
    makers = dict(jpeg=truncated_jpeg, png=garbage_png)
    for name in which:
        makers[name](data[name])


def guard(data, **policy) -> BadSampleGuard:
    dataset = CustomDataset(
        data_root=data['root'], data_prefix='train',
        pipeline=[dict(type='LoadImageFromFile', color_type='grayscale'),
                  dict(type='PackInputs')])
    return BadSampleGuard(dataset, **policy)


def index_of(guarded: BadSampleGuard, path: str) -> int:
    return next(i for i in range(len(guarded))
                if guarded.get_data_info(i)['img_path'] == path)


@pytest.mark.slow
def test_an_unreadable_sample_stops_training_with_one_line(data, tmp_path):
    work_dir = str(tmp_path / 'run')
    options = [*data_options(data), TWO_EPOCHS,
               'train_dataloader.num_workers=2']
    # warm-up 1: the first stage trains 1 epoch (the pre-flight refuses a
    # warm-up longer than the schedule)
    train_in_process(CONFIG, work_dir, *options[:-1], 'train_cfg.max_epochs=1',
                     'custom_hooks.0.warmup=1')
    corrupt(data, ['jpeg'])
    result = run_tool([sys.executable, 'tools/train.py', CONFIG, '--resume',
                       '--work-dir', work_dir, '--cfg-options', *options])
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stdout + result.stderr
    index = index_of(guard(data), data['jpeg'])
    lines = [line for line in result.stderr.splitlines()
             if 'Unreadable training sample' in line]
    assert len(lines) == 1, result.stderr[-3000:]
    assert (f'Unreadable training sample {data["jpeg"]} (index {index}): '
            'AssertionError: failed to load image') in lines[0]
    assert "bad_samples = dict(policy='skip', max_skipped=10)" in lines[0]
    # the last checkpoint is kept, loadable, and nothing else was written
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert weights(osp.join(work_dir, 'epoch_1.pth'))
    assert not [name for name in os.listdir(work_dir) if '.tmp' in name]


@pytest.mark.slow
def test_skip_replaces_deterministically_and_logs_every_epoch(data, tmp_path):
    corrupt(data)
    final = {}
    for workers in (0, 2):
        work_dir = str(tmp_path / f'workers_{workers}')
        train_in_process(
            CONFIG, work_dir, *data_options(data), TWO_EPOCHS,
            f'train_dataloader.num_workers={workers}',
            'bad_samples.policy=skip', 'bad_samples.max_skipped=2')
        final[workers] = weights(osp.join(work_dir, 'epoch_2.pth'))
        log = open(next(
            osp.join(root, name) for root, _, names in os.walk(work_dir)
            for name in names if name.endswith('.log'))).read()
        for epoch in (1, 2):
            line = next(line for line in log.splitlines()
                        if f'bad_samples: epoch {epoch} replaced' in line)
            assert '2 distinct so far (at most 2)' in line
            assert data['jpeg'] in line and data['png'] in line
    # the same replacements whichever process loads them
    assert_same_weights(final[0], final[2])


def test_a_replacement_is_the_next_readable_sample(data):
    corrupt(data)
    guarded = guard(data, policy='skip')
    bad = index_of(guarded, data['jpeg'])
    following = (bad + 1) % len(guarded)
    while guarded.get_data_info(following)['img_path'] == data['png']:
        following = (following + 1) % len(guarded)
    replacement = guarded[bad]
    assert replacement['data_samples'].img_path == guarded.get_data_info(
        following)['img_path']
    torch.testing.assert_close(replacement['inputs'],
                               guarded[following]['inputs'])
    assert int(guarded.replaced[bad]) == 1 and int(guarded.bad.sum()) == 1


def test_more_than_max_skipped_stops_clearly(data):
    corrupt(data)
    guarded = guard(data, policy='skip', max_skipped=1)
    guarded[index_of(guarded, data['jpeg'])]
    with pytest.raises(BadSampleError,
                       match='2 unreadable samples, more than '
                       'bad_samples.max_skipped=1'):
        guarded[index_of(guarded, data['png'])]


def test_other_pipeline_errors_keep_their_traceback(data):
    guarded = guard(data, policy='skip')
    guarded.dataset.pipeline.transforms.insert(
        1, lambda results: results['no_such_key'])
    with pytest.raises(KeyError, match='no_such_key'):
        guarded[0]


@pytest.mark.parametrize('policy, message', [
    (dict(policy='drop'), "policy='drop' is not one of"),
    (dict(max_skipped=-1), 'max_skipped must be an integer >= 0'),
    (dict(max_skip=3), "unknown keys ['max_skip']"),
])
def test_bad_policies_are_clear_errors(data, tmp_path, policy, message,
                                      capsys, monkeypatch):
    # in this process (the command line's exit is test_clear_errors.py's)
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    options = [f'bad_samples.{key}={value}' for key, value in policy.items()]
    err = stopped_before_training(capsys, str(tmp_path / 'run'),
                                  *data_options(data), *options)
    assert message in err
