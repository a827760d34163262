"""openmim runs vrm_mm like any OpenMMLab codebase, from its wheel.

``mim train vrm_mm CONFIG`` finds a config by its file name in the
installed package's ``.mim/configs`` and runs ``.mim/tools/train.py`` with
the installed package alone (no checkout on ``sys.path``); ``mim test``
runs ``.mim/tools/test.py`` on the checkpoint.
"""
import json
import os
import os.path as osp

import pytest
from conftest import write_fashion_mnist
from distill_helpers import save_teacher
from mmengine.config import Config
from packaging_helpers import REPO_ROOT, installed_wheel, run

pytest.importorskip('mim', reason='openmim (requirements/tests.txt)')

DEMO = 'vrm_resnet20_resnet8_3e_fashionmnist.py'


def tiny_data_options(data_root: str) -> list:
    """--cfg-options for a 16-image, 1-epoch run in this process."""
    options = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=16']
    for split in ('train', 'val', 'test'):
        options += [f'{split}_dataloader.dataset.data_root={data_root}',
                    f'{split}_dataloader.batch_size=8',
                    f'{split}_dataloader.num_workers=0',
                    f'{split}_dataloader.persistent_workers=False']
    return options


@pytest.mark.slow
def test_mim_trains_and_tests_the_demo_from_the_wheel(tmp_path,
                                                      tmp_path_factory):
    python = installed_wheel(tmp_path_factory)
    cwd = tmp_path / 'elsewhere'
    cwd.mkdir()
    write_fashion_mnist(str(cwd / 'fmnist'), {'train': 16, 't10k': 8},
                        gzipped=False)
    # a random teacher of the demo's architecture
    teacher = Config.fromfile(osp.join(
        REPO_ROOT, 'configs', 'demo', 'ce_resnet20_3e_fashionmnist.py'))
    save_teacher(str(cwd / 'teacher.pth'), teacher.model.to_dict())
    options = tiny_data_options('fmnist') + ['model.teacher_ckpt=teacher.pth']
    env = dict(os.environ, OMP_NUM_THREADS='1')

    train = run([python, '-m', 'mim', 'train', 'vrm_mm', DEMO,
                 '--work-dir', 'vrm', '--cfg-options', *options],
                cwd=str(cwd), env=env, timeout=300)
    # the config found by name, and the tool run, in the installed package
    package = osp.join(osp.dirname(osp.dirname(python)), 'lib')
    config = osp.join('vrm_mm', '.mim', 'configs', 'demo', DEMO)
    tool = osp.join('vrm_mm', '.mim', 'tools', 'train.py')
    (command, ) = [line for line in train.stdout.splitlines()
                   if line.startswith('Training command is')]
    assert f'{python} {package}' in command and tool in command
    assert config in command
    assert 'accuracy/top1: last' in train.stdout + train.stderr
    assert osp.isfile(cwd / 'vrm' / 'epoch_1.pth')

    test = run([python, '-m', 'mim', 'test', 'vrm_mm', DEMO,
                '--checkpoint', 'vrm/epoch_1.pth', '--work-dir', 'vrm_test',
                '--cfg-options', *options],
               cwd=str(cwd), env=env, timeout=300)
    (line, ) = [line for line in test.stdout.splitlines()
                if line.startswith('{')]
    metrics = json.loads(line)
    assert 0 <= metrics['accuracy/top1'] <= 100
