"""A signalled run saves, exits with 75, and resumes to the straight run.

A real ``tools/train.py`` process trains the tiny VRM distiller (3 epochs
of 4 batches); at a given iteration it waits until the test has sent
SIGTERM to its whole process group (data loader workers included, as
Slurm does), then must finish that iteration, save and exit with
``EXIT_RESUME``. ``--resume`` then ends with the straight run's weights.
"""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from distill_helpers import save_teacher, tiny_classifier
from reliability_helpers import (
    CONFIG,
    REPO_ROOT,
    assert_same_weights,
    checkpoints,
    data_options,
    free_port,
    prepare_data,
    run_tool,
    train_in_process,
    weights,
)
from signal_hook_for_tests import WAITING, exit_file

from vrm_mm.engine.hooks.preemption_hook import EXIT_RESUME

HERE = osp.dirname(osp.abspath(__file__))
DDP_CONFIG = osp.join(HERE, 'data', 'tiny_distiller_ddp.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('preemption_data')))


def signalled_config(tmp_path, **hook) -> str:
    path = tmp_path / 'signalled.py'
    path.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['signal_hook_for_tests'])\n"
        'custom_hooks = [\n'
        "    dict(type='DistillLossWarmupHook', warmup=2, by_epoch=True),\n"
        f"    dict(type='SignalAtIterationForTests', **{hook!r})]\n")
    return str(path)


def train_and_signal(config: str, work_dir: str, options, signum):
    """Start tools/train.py, signal its process group once it waits."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=HERE)
    env.pop('VRM_MM_TRACEBACK', None)
    os.makedirs(work_dir)
    log = open(osp.join(work_dir, 'output.txt'), 'w+')
    process = subprocess.Popen(
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options', *options],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.monotonic() + 240
    while not osp.exists(osp.join(work_dir, WAITING)):
        assert process.poll() is None and time.monotonic() < deadline, (
            open(log.name).read()[-3000:])
        time.sleep(0.05)
    os.killpg(process.pid, signum)
    code = process.wait(timeout=120)
    log.close()
    return code, open(log.name).read()


@pytest.mark.parametrize('iteration,workers,saved', [
    (6, 2, 'iter_6.pth'),  # mid-epoch, with data loader workers
    (4, 0, 'epoch_1.pth'),  # last batch of epoch 1: stops after its end
])
def test_sigterm_saves_exits_75_and_resumes_exactly(data, tmp_path,
                                                    iteration, workers,
                                                    saved):
    options = [*data_options(data),
               f'train_dataloader.num_workers={workers}',
               f'train_dataloader.persistent_workers={workers > 0}']
    reference = str(tmp_path / 'reference')
    train_in_process(CONFIG, reference, *options)

    work_dir = str(tmp_path / 'preempted')
    code, log = train_and_signal(
        signalled_config(tmp_path, iteration=iteration), work_dir,
        options, signal.SIGTERM)
    assert code == EXIT_RESUME, log[-3000:]
    assert (f'PreemptionHook: SIGTERM received; stopped after iteration '
            f'{iteration} ') in log
    assert 'Traceback' not in log
    assert checkpoints(work_dir)[-1] == saved
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work_dir, saved)
    meta = torch.load(osp.join(work_dir, saved), map_location='cpu',
                      weights_only=False)['meta']
    assert meta['iter'] == iteration

    train_in_process(CONFIG, work_dir, *options, resume=True)
    assert_same_weights(weights(osp.join(reference, 'epoch_3.pth')),
                        weights(osp.join(work_dir, 'epoch_3.pth')))


def test_under_torchrun_all_ranks_stop_after_the_same_iteration(data,
                                                               tmp_path):
    # only rank 1 is signalled: the flag is all-reduced after every
    # iteration, so rank 0 stops after the same one and saves
    work_dir = str(tmp_path / 'ranks')
    config = tmp_path / 'signalled_ddp.py'
    config.write_text(
        f'_base_ = [{DDP_CONFIG!r}]\n'
        "custom_imports = dict(imports=['signal_hook_for_tests'])\n"
        'custom_hooks = [dict(type="SignalAtIterationForTests", '
        'iteration=3, send="SIGUSR1", rank=1)]\n'
        'train_cfg = dict(max_epochs=3)\n')
    teacher = str(tmp_path / 'teacher_5_classes.pth')
    save_teacher(teacher, tiny_classifier(num_classes=5, in_channels=1))
    result = run_tool(['bash', 'tools/dist_train.sh', str(config), '2',
                       '--work-dir', work_dir, '--cfg-options',
                       *data_options(data), f'model.teacher_ckpt={teacher}'],
                      PORT=str(free_port()), PYTHONPATH=HERE)
    log = result.stdout + result.stderr
    assert result.returncode == EXIT_RESUME, log[-3000:]
    assert 'Traceback' not in log
    assert ('PreemptionHook: another rank received a stop signal; stopped '
            'after iteration 3 ') in log  # rank 0's log
    # runner.iter when each rank exited: 2, i.e. after iteration 3
    assert [open(exit_file(work_dir, rank)).read() for rank in (0, 1)] == [
        '2', '2']
    assert checkpoints(work_dir)[-1] == 'iter_3.pth'
    assert torch.load(osp.join(work_dir, 'iter_3.pth'), map_location='cpu',
                      weights_only=False)['meta']['iter'] == 3
