"""A signalled run saves, exits with 75, and resumes to the straight run.

A real ``tools/train.py`` process trains the tiny VRM distiller (3 epochs
of 4 batches); at a given iteration it waits until the test has sent
SIGTERM (or SIGINT, Ctrl-C) to its whole process group (data loader
workers included, as Slurm and a terminal do), then must finish that
iteration, save and exit with ``EXIT_RESUME``. ``--resume`` then ends with
the straight run's weights. A second SIGINT aborts at once.
"""
import gc
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import weakref

import pytest
import torch
import torch.distributed as torch_dist
from distill_helpers import save_teacher, tiny_classifier
from hold_hook_for_tests import HOLDING
from reliability_helpers import (
    CONFIG,
    REPO_ROOT,
    TRAIN_TOOL,
    SharedRuns,
    assert_same_weights,
    checkpoints,
    data_options,
    free_port,
    one_thread,
    prepare_data,
    run_tool,
    train_in_process,
    weights,
)
from signal_hook_for_tests import WAITING, exit_file

from vrm_mm.runtime import train_run
from vrm_mm.runtime.hooks.preemption_hook import EXIT_RESUME

pytestmark = pytest.mark.slow

HERE = osp.dirname(osp.abspath(__file__))
DDP_CONFIG = osp.join(HERE, 'data', 'tiny_distiller_ddp.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('preemption_data')))


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    return SharedRuns(str(tmp_path_factory.mktemp('straight_runs')))


def signalled_config(tmp_path, **hook) -> str:
    path = tmp_path / 'signalled.py'
    path.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['signal_hook_for_tests'])\n"
        'custom_hooks = [\n'
        "    dict(type='DistillLossWarmupHook', warmup=2, by_epoch=True),\n"
        f"    dict(type='SignalAtIterationForTests', **{hook!r})]\n")
    return str(path)


def wait_for(process, log, path: str) -> None:
    deadline = time.monotonic() + 240
    while not osp.exists(path):
        assert process.poll() is None and time.monotonic() < deadline, (
            open(log.name).read()[-3000:])
        time.sleep(0.05)


def train_and_signal(config: str, work_dir: str, options, signum,
                     again_at: str = None, timeout: float = 120):
    """Start tools/train.py, signal its process group once it waits (and
    once more when ``again_at`` appears in the work dir)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=HERE)
    env.pop('VRM_MM_TRACEBACK', None)
    os.makedirs(work_dir)
    log = open(osp.join(work_dir, 'output.txt'), 'w+')
    process = subprocess.Popen(
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options', *options],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    wait_for(process, log, osp.join(work_dir, WAITING))
    os.killpg(process.pid, signum)
    if again_at is not None:
        wait_for(process, log, osp.join(work_dir, again_at))
        os.killpg(process.pid, signum)
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    return code, open(log.name).read()


@pytest.mark.parametrize('iteration,workers,saved,signum', [
    # mid-epoch, with data loader workers
    (6, 2, 'iter_6.pth', signal.SIGTERM),
    # last batch of epoch 1: stops after its end
    (4, 0, 'epoch_1.pth', signal.SIGTERM),
    # Ctrl-C: the same as SIGTERM
    (6, 2, 'iter_6.pth', signal.SIGINT),
])
def test_signal_saves_exits_75_and_resumes_exactly(data, straight, tmp_path,
                                                   iteration, workers,
                                                   saved, signum):
    options = [*data_options(data),
               f'train_dataloader.num_workers={workers}',
               f'train_dataloader.persistent_workers={workers > 0}']
    # one straight run (no workers) for all: workers do not change the
    # weights (test_resume_anywhere.py)
    reference = straight(CONFIG, *data_options(data))

    work_dir = str(tmp_path / 'preempted')
    code, log = train_and_signal(
        signalled_config(tmp_path, iteration=iteration), work_dir,
        options, signum)
    assert code == EXIT_RESUME, log[-3000:]
    assert (f'PreemptionHook: {signum.name} received; stopped after '
            f'iteration {iteration} ') in log
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


def test_a_second_sigint_aborts_at_once_without_saving(data, tmp_path):
    config = tmp_path / 'held.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['hold_hook_for_tests'])\n"
        "custom_hooks = [dict(type='HoldAfterSignalForTests', iteration=2,"
        ' hold=120)]\n')
    work_dir = str(tmp_path / 'aborted')
    start = time.monotonic()
    code, log = train_and_signal(str(config), work_dir, data_options(data),
                                 signal.SIGINT, again_at=HOLDING, timeout=30)
    # killed by the second SIGINT inside the held iteration, not after it
    assert code == -signal.SIGINT, log[-3000:]
    assert time.monotonic() - start < 100
    assert 'press Ctrl-C again to abort at once without saving' in log
    assert 'Traceback' not in log
    assert checkpoints(work_dir) == []


@pytest.fixture
def one_rank_group(monkeypatch):
    """A 1-rank gloo process group for an in-process ``--launcher pytorch``
    run (the tool keeps a group it finds), and a weak reference to it."""
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv('VRM_MM_EXIT_STATUS_FILE', raising=False)
    torch_dist.init_process_group(backend='gloo')
    group = weakref.ref(torch_dist.group.WORLD)
    yield group
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def train_one_rank(work_dir: str, config: str, *options: str) -> None:
    with one_thread():
        TRAIN_TOOL.main([
            config, '--launcher', 'pytorch', '--work-dir', work_dir,
            '--cfg-options', f'experiment_name={osp.basename(work_dir)}',
            *options])


def assert_group_freed(group) -> None:
    # Destroyed, not merely unregistered: the DDP wrapper kept it (and its
    # gloo threads, which can abort the exiting process) alive
    gc.collect()
    assert not torch_dist.is_initialized()
    assert group() is None


def test_the_process_group_is_freed_before_the_resume_exit(
        data, tmp_path, one_rank_group):
    config = tmp_path / 'signalled_rank.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['signal_hook_for_tests'])\n"
        'custom_hooks = [dict(type="SignalAtIterationForTests", '
        'iteration=2, send="SIGUSR1")]\n')
    work_dir = str(tmp_path / 'signalled_rank')
    with pytest.raises(SystemExit) as stop:
        train_one_rank(work_dir, str(config), *data_options(data))
    assert stop.value.code == EXIT_RESUME
    assert checkpoints(work_dir)[-1] == 'iter_2.pth'
    del stop
    assert_group_freed(one_rank_group)


def test_the_process_group_is_freed_after_training(data, tmp_path,
                                                   one_rank_group,
                                                   monkeypatch):
    # checked when tools/train.py has closed it, its runner still alive
    close, freed = train_run.close_distributed, []

    def close_and_check():
        close()
        gc.collect()
        freed.append(one_rank_group() is None)

    monkeypatch.setattr(train_run, 'close_distributed', close_and_check)
    work_dir = str(tmp_path / 'trained_rank')
    train_one_rank(work_dir, CONFIG, *data_options(data),
                   'train_cfg.max_epochs=2',
                   'train_dataloader.num_batch_per_epoch=1')
    assert checkpoints(work_dir)[-1] == 'epoch_2.pth'
    assert freed == [True]
