"""CRD resumes exactly: its memory banks and Z are in the checkpoint, its
negatives are drawn from (seed, epoch, index), so 2 iterations + --resume +
2 iterations give the weights and banks of 4 straight iterations."""
import os.path as osp

import pytest
import torch
from reliability_helpers import (
    REPO_ROOT,
    SharedRuns,
    assert_same_weights,
    checkpoints,
    prepare_data,
    stopped_at,
    train_in_process,
    weights,
)

pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO_ROOT, 'tests', 'test_reliability', 'data',
                  'tiny_crd_distiller.py')
CRD = 'distill_losses.loss_crd.'
# 16 images, batch 4: iter_2 is mid-epoch 1, iter_4 ends it
ONE_EPOCH = ('train_cfg.max_epochs=1', )


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('crd_resume_data')))


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    return SharedRuns(str(tmp_path_factory.mktemp('straight_runs')))


def options(data, *extra):
    return [f'train_dataloader.dataset.dataset.data_root={data["root"]}',
            f'model.teacher_ckpt={data["teacher"]}', *ONE_EPOCH, *extra]


@pytest.mark.parametrize('num_workers', [0, 2])
def test_two_iterations_resumed_equal_four_straight(data, straight, tmp_path,
                                                    num_workers):
    opts = options(data, f'train_dataloader.num_workers={num_workers}')
    reference = straight(CONFIG, *opts)
    assert checkpoints(reference) == ['iter_2.pth', 'iter_4.pth']
    resumed = stopped_at(reference, 'iter_2.pth', str(tmp_path / 'resumed'))
    train_in_process(CONFIG, resumed, *opts, resume=True)
    expected = weights(osp.join(reference, 'iter_4.pth'))
    after_2 = weights(osp.join(reference, 'iter_2.pth'))
    actual = weights(osp.join(resumed, 'iter_4.pth'))
    assert_same_weights(expected, actual)  # the banks and Z included
    for name in ('memory_S', 'memory_T'):
        # not vacuous: iterations 3-4 moved the rows of their 8 images
        moved = (expected[CRD + name] != after_2[CRD + name]).any(1)
        assert int(moved.sum()) == 8
    assert expected[CRD + 'z_S'] > 0 and torch.equal(
        expected[CRD + 'z_S'], after_2[CRD + 'z_S'])


def test_workers_draw_the_same_negatives(data, straight):
    final = {}
    for workers in (0, 2):
        work_dir = straight(CONFIG, *options(
            data, f'train_dataloader.num_workers={workers}'))
        final[workers] = weights(osp.join(work_dir, 'iter_4.pth'))
    assert_same_weights(final[0], final[2])
