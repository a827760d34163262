"""CRD over 2 gloo ranks x batch 2 trains like 1 process x batch 4: the
memory banks, updated on every rank from all ranks' samples, and Z, from
all ranks' first batches, end as the single process's (up to float
summation order), and so do the weights."""
import os.path as osp

import pytest
import torch
from reliability_helpers import (
    REPO_ROOT,
    free_port,
    prepare_data,
    run_tool,
    train_in_process,
    weights,
)

pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO_ROOT, 'tests', 'test_reliability', 'data',
                  'tiny_crd_distiller_ddp.py')
CRD = 'distill_losses.loss_crd.'


def test_crd_over_two_ranks_equals_one_process(tmp_path):
    data = prepare_data(str(tmp_path / 'data'))
    options = [f'train_dataloader.dataset.dataset.data_root={data["root"]}',
               f'model.teacher_ckpt={data["teacher"]}']
    single = str(tmp_path / 'single')
    train_in_process(CONFIG, single, *options,
                     'train_dataloader.batch_size=4')
    ranks = str(tmp_path / 'ranks')
    result = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', ranks,
        '--cfg-options', *options, 'train_dataloader.batch_size=2'
    ], PORT=str(free_port()))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log
    expected = weights(osp.join(single, 'iter_4.pth'))
    actual = weights(osp.join(ranks, 'iter_4.pth'))
    assert sorted(expected) == sorted(actual)
    for key, value in expected.items():
        torch.testing.assert_close(actual[key], value, rtol=1e-5, atol=1e-6,
                                   msg=key)
    # not vacuous: iterations 3-4 moved the rows of their 8 images
    initial = weights(osp.join(single, 'iter_2.pth'))
    for name in ('memory_S', 'memory_T'):
        assert int((expected[CRD + name] != initial[CRD + name]).any(
            1).sum()) == 8
    assert expected[CRD + 'z_S'] > 0
