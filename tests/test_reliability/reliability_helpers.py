"""Run the tiny VRM distillation config through tools/train.py."""
import argparse
import contextlib
import gc
import glob
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
from typing import Dict, Iterator, List

import pytest
import torch
import torch.utils.data._utils as worker_utils
from conftest import REPO_ROOT, load_tool, write_image_folder
from distill_helpers import save_teacher, tiny_classifier
from mmengine.config import DictAction

CONFIG = osp.join(REPO_ROOT, 'tests', 'test_reliability', 'data',
                  'tiny_vrm_distiller.py')
CLASSIFIER_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                             'tiny_classifier.py')


TRAIN_TOOL = load_tool('train.py')


def teacher_classifier() -> dict:
    """The config's teacher (and student): 2 classes, grayscale input."""
    return tiny_classifier(num_classes=2, in_channels=1)


def prepare_data(folder: str) -> Dict[str, str]:
    """An image folder and a teacher checkpoint for :data:`CONFIG`."""
    os.makedirs(folder, exist_ok=True)
    teacher = osp.join(folder, 'teacher.pth')
    save_teacher(teacher, teacher_classifier())
    return dict(root=write_image_folder(osp.join(folder, 'data')),
                teacher=teacher)


def data_options(data: Dict[str, str]) -> List[str]:
    return [
        f'train_dataloader.dataset.data_root={data["root"]}',
        f'model.teacher_ckpt={data["teacher"]}'
    ]


def parse_options(*options: str) -> dict:
    """``key=value`` strings parsed as ``--cfg-options`` parses them."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Train on one thread, and stop data loader workers promptly.

    Persistent data loader workers here take the full status-check
    interval (5 s each) to stop when their loader is freed: collect the
    runner with a short interval (torch terminates late workers).
    """
    threads = torch.get_num_threads()
    interval = worker_utils.MP_STATUS_CHECK_INTERVAL
    torch.set_num_threads(1)
    worker_utils.MP_STATUS_CHECK_INTERVAL = 0.2
    try:
        yield
    finally:
        gc.collect()
        worker_utils.MP_STATUS_CHECK_INTERVAL = interval
        torch.set_num_threads(threads)


def train_in_process(config: str, work_dir: str, *options: str,
                     resume: bool = False) -> None:
    """``tools/train.py CONFIG --work-dir WORK_DIR [--resume]
    --cfg-options OPTIONS`` in this process, on one thread.

    A clear error exits with ``SystemExit(1)``.
    """
    argv = [config, '--work-dir', work_dir]
    if resume:
        argv.append('--resume')
    # a unique name: mmengine shares loggers and message hubs by name
    parent, base = osp.split(osp.abspath(work_dir))
    name = f'{osp.basename(parent)}_{base}'
    argv += ['--cfg-options', f'experiment_name={name}', *options]
    with one_thread():
        TRAIN_TOOL.main(argv)


class SharedRuns:
    """Uninterrupted runs trained once and shared by several tests.

    ``runs(config, *options)`` trains ``config`` with ``options`` in a new
    work dir under ``folder`` the first time, and returns that work dir
    for every later call with the same arguments (tests must only read
    it).
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.work_dirs: Dict[tuple, str] = {}

    def __call__(self, config: str, *options: str) -> str:
        key = (config, *options)
        if key not in self.work_dirs:
            work_dir = osp.join(self.folder, f'run{len(self.work_dirs)}')
            train_in_process(config, work_dir, *options)
            self.work_dirs[key] = work_dir
        return self.work_dirs[key]


def stopped_before_training(capsys, work_dir: str, *options: str,
                            config: str = CONFIG) -> str:
    """Run ``tools/train.py`` in this process: it must exit 1 before the
    first iteration, with no traceback and no checkpoint. Its stderr."""
    with pytest.raises(SystemExit) as stop:
        train_in_process(config, work_dir, *options)
    assert stop.value.code == 1
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    assert 'Epoch(train)' not in out + err
    assert not glob.glob(osp.join(work_dir, '**', '*.pth'), recursive=True)
    return err


def run_tool(args: List[str], **env_vars: str) -> subprocess.CompletedProcess:
    """Run a command in the repository with one thread per process."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               **env_vars)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env.pop('VRM_MM_TRACEBACK', None)
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, input='')


def free_port() -> int:
    """A TCP port free on this machine now (for torchrun's rendezvous)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def stopped_at(reference: str, name: str, work_dir: str) -> str:
    """A new work dir as a run killed right after saving checkpoint
    ``name`` (in the ``reference`` run's work dir) leaves it."""
    os.makedirs(work_dir)
    shutil.copy(osp.join(reference, name), osp.join(work_dir, name))
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, name))
    return work_dir


def checkpoints(work_dir: str) -> List[str]:
    return sorted(
        osp.basename(path)
        for path in glob.glob(osp.join(work_dir, '*.pth')))


def weights(path: str) -> Dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu',
                      weights_only=True)['state_dict']


def assert_same_weights(expected: Dict[str, torch.Tensor],
                        actual: Dict[str, torch.Tensor]) -> None:
    """Same keys, and every tensor bit for bit equal."""
    assert sorted(expected) == sorted(actual)
    different = [
        key for key in expected if not torch.equal(expected[key], actual[key])
    ]
    assert not different, f'{len(different)} tensors differ: {different[:5]}'
