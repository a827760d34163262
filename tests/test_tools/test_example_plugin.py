"""projects/example_plugin: a loss registered outside vrm_mm trains through
tools/train.py (custom_imports), and forgetting custom_imports or the
PYTHONPATH is one clear line."""
import math
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, write_fashion_mnist
from mmengine.config import Config
from tiny_config_helpers import save_teacher

PLUGIN = osp.join(REPO_ROOT, 'projects', 'example_plugin')
CONFIG = osp.join(PLUGIN, 'configs',
                  'cosine_resnet20_resnet8_3e_fashionmnist.py')
SPLITS = ('train', 'val', 'test')


def run_train(config: str, work_dir: str, *options: str,
              plugin_on_path: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('VRM_MM_TRACEBACK', None)
    paths = [env.get('PYTHONPATH')]
    if plugin_on_path:
        paths.insert(0, PLUGIN)
    env['PYTHONPATH'] = os.pathsep.join(path for path in paths if path)
    return subprocess.run(
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options', *options],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


# every test trains or runs tools/train.py in a subprocess
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory) -> dict:
    """16 Fashion-MNIST-format images, batch 8: 2 iterations of 1 epoch."""
    root = tmp_path_factory.mktemp('plugin')
    data_root = str(root / 'fashion_mnist')
    write_fashion_mnist(data_root, {'train': 16, 't10k': 8}, gzipped=False)
    teacher = Config.fromfile(CONFIG, import_custom_modules=False).model
    ckpt = save_teacher(teacher.teacher.to_dict(), str(root / 'teacher.pth'))
    options = [f'model.teacher_ckpt={ckpt}',
               'train_dataloader.dataset.indices=16',
               'train_cfg.max_epochs=1', 'param_scheduler.T_max=1',
               'default_hooks.logger.interval=1']
    for split in SPLITS:
        options += [f'{split}_dataloader.dataset.data_root={data_root}',
                    f'{split}_dataloader.batch_size=8',
                    f'{split}_dataloader.num_workers=0',
                    f'{split}_dataloader.persistent_workers=False']
    return dict(root=root, options=options)


def test_plugin_loss_trains_and_is_logged(tiny_run):
    work_dir = str(tiny_run['root'] / 'work')
    result = run_train(CONFIG, work_dir, *tiny_run['options'])
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    # mmengine logs each iteration's terms: "... loss_cls: x  loss_cos: y"
    values = re.findall(r'\bloss_cos: (\S+)', log)
    assert len(values) == 2, log[-3000:]  # one per iteration
    assert all(math.isfinite(float(value)) for value in values), values
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))


def test_without_custom_imports_the_error_says_how_to_register(tiny_run):
    # the plugin's config with its custom_imports emptied: nothing imports
    # example_plugin, so CosineLogitLoss is not registered
    config = tiny_run['root'] / 'no_custom_imports.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n'
                      'custom_imports = dict(imports=[])\n')
    result = run_train(str(config), str(tiny_run['root'] / 'no_import'),
                       *tiny_run['options'])
    assert result.returncode == 1
    assert ("distill_losses.loss_cos: 'CosineLogitLoss' is not a "
            'registered component.') in result.stderr
    assert "Did you mean 'CosineSimilarityLoss'?" in result.stderr
    assert '@MODELS.register_module()' in result.stderr
    assert "custom_imports = dict(imports=['my_package']" in result.stderr
    assert 'docs/tutorials/add_a_loss.md' in result.stderr
    assert 'Traceback' not in result.stderr


def test_plugin_off_the_python_path_is_one_line(tiny_run):
    result = run_train(CONFIG, str(tiny_run['root'] / 'no_path'),
                       *tiny_run['options'], plugin_on_path=False)
    assert result.returncode == 1
    assert 'reading the config failed' in result.stderr
    assert 'Failed to import custom modules' in result.stderr
    assert 'PYTHONPATH' in result.stderr
    assert 'Traceback' not in result.stderr


def test_misspelt_dataset_type_is_one_line(tiny_run):
    # datasets are built once training starts, after the model
    result = run_train(CONFIG, str(tiny_run['root'] / 'typo'),
                       *tiny_run['options'],
                       'train_dataloader.dataset.type=FashionMNST')
    assert result.returncode == 1
    assert ("training failed: KeyError: 'FashionMNST' is not in the "
            "vrm_mm::dataset registry. Did you mean 'FashionMNIST'") \
        in result.stderr
    assert '@DATASETS.register_module()' in result.stderr
    assert 'Traceback' not in result.stderr
