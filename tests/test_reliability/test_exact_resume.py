"""``--resume`` after a stop reproduces the uninterrupted run bit for bit.

The run: the tiny VRM distiller config, 3 epochs, two random views per
image (crop/flip + RandAugment with magnitude noise), Mixup in the data
preprocessor (numpy and torch draws in the main process), a step lr
schedule and a distillation loss warm-up. A run stopped after epoch 1 is
its work dir holding only ``epoch_1.pth`` (what a kill right after that
save leaves), resumed with ``tools/train.py --resume``; one test kills a
real training process instead.
"""
import os.path as osp
import signal
import sys

import pytest
import torch
from reliability_helpers import (
    CONFIG,
    SharedRuns,
    assert_same_weights,
    checkpoints,
    data_options,
    prepare_data,
    run_tool,
    stopped_at,
    train_in_process,
    weights,
)

pytestmark = pytest.mark.slow

MIXUP = ('model.data_preprocessor.batch_augments.augments.type=Mixup',
         'model.data_preprocessor.batch_augments.augments.alpha=1.0')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('resume_data')))


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    return SharedRuns(str(tmp_path_factory.mktemp('straight_runs')))


def resume_after_epoch_1(data: dict, straight, tmp_path, *options: str,
                         resume_options=()):
    """Final weights of the uninterrupted and the resumed run, and the
    weights after epoch 1. ``resume_options`` apply to the resumed run
    only (the data loader's workers: they do not change the weights, see
    test_resume_anywhere.py, so one uninterrupted run serves them all)."""
    options = [*data_options(data), *MIXUP, *options]
    reference = straight(CONFIG, *options)
    resumed = stopped_at(reference, 'epoch_1.pth', str(tmp_path / 'resumed'))
    train_in_process(CONFIG, resumed, *options, *resume_options, resume=True)
    return (weights(osp.join(reference, 'epoch_3.pth')),
            weights(osp.join(resumed, 'epoch_3.pth')),
            weights(osp.join(reference, 'epoch_1.pth')))


@pytest.mark.parametrize('num_workers,persistent', [(0, False), (2, False),
                                                    (2, True)])
def test_resume_after_epoch_1_equals_uninterrupted_run(
        data, straight, tmp_path, num_workers, persistent):
    expected, actual, after_1 = resume_after_epoch_1(
        data, straight, tmp_path, resume_options=(
            f'train_dataloader.num_workers={num_workers}',
            f'train_dataloader.persistent_workers={persistent}'))
    assert_same_weights(expected, actual)
    # not vacuous: the resumed epochs moved the weights
    assert any(not torch.equal(expected[key], after_1[key])
               for key in expected)


def test_mmengine_resume_alone_is_not_exact(data, straight, tmp_path):
    """The gap EpochSeedHook closes: without it the test above fails."""
    expected, actual, _ = resume_after_epoch_1(
        data, straight, tmp_path, 'default_hooks.epoch_seed=None')
    assert any(not torch.equal(expected[key], actual[key])
               for key in expected)


def test_run_killed_in_epoch_2_resumes_exactly(data, straight, tmp_path):
    """A real kill: SIGKILL after training epoch 2, before its checkpoint."""
    options = [*data_options(data), *MIXUP]
    reference = straight(CONFIG, *options)
    killed_config = tmp_path / 'killed_in_epoch_2.py'
    killed_config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['kill_hook_for_tests'])\n"
        'custom_hooks = [\n'
        "    dict(type='DistillLossWarmupHook', warmup=2, by_epoch=True),\n"
        "    dict(type='KillAfterTrainEpochForTests', epoch=2)]\n")
    killed = str(tmp_path / 'killed')
    result = run_tool([
        sys.executable, 'tools/train.py', str(killed_config), '--work-dir',
        killed, '--cfg-options', *options
    ], PYTHONPATH=osp.dirname(osp.abspath(__file__)))
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    assert 'Epoch(train) [2][4/4]' in result.stdout
    assert checkpoints(killed) == ['epoch_1.pth']

    train_in_process(CONFIG, killed, *options, resume=True)
    assert_same_weights(weights(osp.join(reference, 'epoch_3.pth')),
                        weights(osp.join(killed, 'epoch_3.pth')))
