"""mmpretrain 1.2's tool options in tools/train.py and tools/test.py, and
the interpreter tools/*.sh run.

Cheap checks parse the options with the tools' own ``parse_args`` and
apply them with the runtime's merge functions; one real ``tools/test.py``
run uses ``--tta --show-dir --out --out-item`` and one real
``tools/dist_train.sh`` run has no ``python`` on PATH.
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, load_tool, write_image_folder
from distill_helpers import build, distiller_cfg, save_teacher
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from PIL import Image
from test_train_test_tools import CONFIG, data_options, test_tool

from vrm_mm.runtime import (
    prepare_test_config,
    prepare_train_config,
    read_config,
)
from vrm_mm.runtime.test_options import add_tta

TRAIN_TOOL = load_tool('train.py')
TEST_TOOL = load_tool('test.py')
SPLITS = ('train', 'val', 'test')


def for_train(tmp_path, root: str, *options: str) -> Config:
    """CONFIG as tools/train.py prepares it with ``options``."""
    args = TRAIN_TOOL.parse_args([
        CONFIG, '--work-dir', str(tmp_path / 'work'), *options,
        '--cfg-options', *data_options(root)])
    return prepare_train_config(read_config(CONFIG, args.cfg_options), args)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """An untrained CONFIG model's checkpoint (tools/test.py reads it)."""
    path = str(tmp_path_factory.mktemp('checkpoint') / 'model.pth')
    torch.manual_seed(0)
    model = build(Config.fromfile(CONFIG).model)
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def for_test(checkpoint: str, root: str, *options: str) -> Config:
    """CONFIG as tools/test.py prepares it to test ``checkpoint`` with
    ``options``."""
    args = TEST_TOOL.parse_args([
        CONFIG, checkpoint, '--work-dir', osp.join(root, 'work'), *options,
        '--cfg-options', *data_options(root)])
    return prepare_test_config(read_config(CONFIG, args.cfg_options), args)


def loader_flags(cfg: Config, key: str) -> list:
    return [cfg[f'{split}_dataloader'].get(key) for split in SPLITS]


def test_train_no_pin_memory_no_persistent_workers(tmp_path, tiny_folder):
    plain = for_train(tmp_path, tiny_folder)
    assert loader_flags(plain, 'pin_memory') == [None] * 3  # untouched
    cfg = for_train(tmp_path, tiny_folder, '--no-pin-memory',
                    '--no-persistent-workers')
    assert loader_flags(cfg, 'pin_memory') == [False] * 3
    assert loader_flags(cfg, 'persistent_workers') == [False] * 3
    only_pin = for_train(tmp_path, tiny_folder, '--no-pin-memory')
    assert loader_flags(only_pin, 'persistent_workers') == [None] * 3


def test_test_defaults_match_mmpretrain(checkpoint, tiny_folder):
    args = TEST_TOOL.parse_args([CONFIG, 'model.pth'])
    assert (args.out_item, args.interval, args.wait_time, args.tta,
            args.show, args.show_dir) == (None, 1, 2.0, False, False, None)
    plain = for_test(checkpoint, tiny_folder)
    assert not plain.default_hooks.visualization.enable
    assert plain.model.type == 'ImageClassifier'
    cfg = for_test(checkpoint, tiny_folder, '--no-pin-memory')
    assert cfg.test_dataloader.pin_memory is False


def evaluator_types(cfg: Config) -> list:
    evaluator = cfg.test_evaluator
    evaluators = evaluator if isinstance(evaluator, list) else [evaluator]
    return [item['type'] for item in evaluators]


def test_out_item_chooses_what_out_holds(checkpoint, tiny_folder):
    preds = 'preds.pkl'
    for options in (('--out', preds), ('--out', preds, '--out-item',
                                      'pred')):
        cfg = for_test(checkpoint, tiny_folder, *options)
        assert evaluator_types(cfg) == ['Accuracy', 'DumpResults']
        assert cfg.test_evaluator[1].out_file_path == preds
    cfg = for_test(checkpoint, tiny_folder, '--out', 'metrics.json',
                   '--out-item', 'metrics')  # written by run_test
    assert evaluator_types(cfg) == ['Accuracy']


@pytest.mark.parametrize('options, message', [
    (('--out-item', 'metrics'), '--out-item metrics needs --out FILE'),
    (('--out', 'preds.json'), 'ending in one of .pkl, .pickle'),
    (('--out', 'm.txt', '--out-item', 'metrics'), 'ending in one of .json'),
    (('--show-dir', 'shown', '--interval', '0'), 'with N >= 1'),
])
def test_option_mistakes_stop_before_the_test(checkpoint, tiny_folder, options,
                                           message):
    with pytest.raises(ValueError, match=message):
        for_test(checkpoint, tiny_folder, *options)


def test_show_dir_switches_on_the_visualization_hook(checkpoint, tiny_folder):
    cfg = for_test(checkpoint, tiny_folder, '--show-dir', 'shown',
                   '--interval', '5')
    hook = cfg.default_hooks.visualization
    assert hook.type == 'ImageVisualizationHook'
    assert (hook.enable, hook.out_dir, hook.interval, hook.show) == (
        True, 'shown', 5, False)
    # a config without the hook or a visualizer gets both
    cfg = for_test(checkpoint, tiny_folder, '--show-dir', 'shown',
                   '--cfg-options', 'default_hooks.visualization=None',
                   'visualizer=None')
    assert cfg.default_hooks.visualization.enable
    assert cfg.visualizer.type == 'UniversalVisualizer'


def test_show_without_a_display_names_show_dir(checkpoint, tiny_folder,
                                               monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'linux')
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    with pytest.raises(ValueError, match='use --show-dir DIR'):
        for_test(checkpoint, tiny_folder, '--show')
    monkeypatch.setenv('DISPLAY', ':0')
    hook = for_test(checkpoint, tiny_folder, '--show', '--wait-time',
                    '0.5').default_hooks.visualization
    assert (hook.show, hook.wait_time, hook.out_dir) == (True, 0.5, None)


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU fallback')
def test_amp_without_gpu_warns_and_tests_fp32(checkpoint, tiny_folder):
    with pytest.warns(UserWarning, match='AMP needs a GPU'):
        cfg = for_test(checkpoint, tiny_folder, '--amp')
    assert not cfg.test_cfg.get('fp16')


def test_tta_wraps_the_model_and_flips_before_packing(checkpoint,
                                                      tiny_folder):
    cfg = for_test(checkpoint, tiny_folder, '--tta')
    assert cfg.model.type == 'AverageClsScoreTTA'
    assert cfg.model.module.type == 'ImageClassifier'
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[0].type == 'LoadImageFromFile'
    flips, packers = pipeline[-1].transforms
    assert [flip['prob'] for flip in flips] == [0., 1.]
    assert [packer['type'] for packer in packers] == ['PackInputs']
    # the config's own tta_model and tta_pipeline are used as they are
    cfg = Config.fromfile(CONFIG)
    cfg.tta_model = dict(type='MyTTA')
    cfg.tta_pipeline = [dict(type='TestTimeAug', transforms=[[
        dict(type='LoadImageFromFile')], [dict(type='PackInputs')]])]
    add_tta(cfg)
    assert cfg.model.type == 'MyTTA'
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline


def test_tta_of_a_distiller_averages_its_student_over_flips(tmp_path):
    """The student's softmax averaged over the image and its flip, after
    the distiller's own data preprocessor (not the config's top-level
    one, mean 100 / std 50 here)."""
    teacher = str(tmp_path / 'teacher.pth')
    save_teacher(teacher, seed=3)
    cfg = Config(dict(
        model=distiller_cfg(teacher),  # mean 0, std 1
        data_preprocessor=dict(
            type='ClsDataPreprocessor', mean=[100.] * 3, std=[50.] * 3),
        test_dataloader=dict(dataset=dict(
            type='CustomDataset', pipeline=[dict(type='PackInputs')]))))
    add_tta(cfg)
    # as mmengine's Runner: the top-level preprocessor unless the model has
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    tta = build(cfg.model).eval()
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
              for _ in range(2)]
    batch = default_collate([pipeline(dict(img=image, gt_label=label))
                             for label, image in enumerate(images)])
    x = torch.stack([torch.from_numpy(image).permute(2, 0, 1)
                     for image in images]).float()
    with torch.no_grad():
        merged = tta.test_step(batch)
        student = tta.module.student
        expected = (student(x).softmax(1) +
                    student(x.flip(-1)).softmax(1)) / 2
    torch.testing.assert_close(
        torch.stack([sample.pred_score for sample in merged]), expected)
    assert [sample.gt_label.item() for sample in merged] == [0, 1]


@pytest.mark.slow
def test_tta_show_dir_out_metrics_end_to_end(tmp_path, checkpoint):
    root = write_image_folder(str(tmp_path / 'data'))
    shown, out = tmp_path / 'shown', str(tmp_path / 'metrics.json')
    result = test_tool(checkpoint, root, str(tmp_path / 'work'), '--tta',
                       '--show-dir', str(shown), '--interval', '3',
                       '--out', out, '--out-item', 'metrics')
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    with open(out) as f:
        assert json.load(f) == printed
    assert 'AverageClsScoreTTA' in result.stdout + result.stderr
    # every 3rd of the 16 val images (class0/0..7, class1/0..7), named
    # by file name as mmpretrain's hook: 0 3 6 | 1 4 7
    names = [f'{i}.png' for _ in range(2) for i in range(8)][::3]
    assert sorted(os.listdir(shown)) == sorted(
        f'{name}_0.png' for name in set(names))
    with Image.open(shown / '0.png_0.png') as image:  # grey drawn as RGB
        assert image.mode == 'RGB' and min(image.size) >= 32


# -- tools/*.sh: the interpreter and the rank line ---------------------

PYTHON_ENV = osp.join(REPO_ROOT, 'tools', 'python_env.sh')


def fake_program(path, output: str) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(f'#!/bin/sh\necho {output}\n')
    os.chmod(path, 0o755)
    return str(path)


def sourced(tmp_path, call: str, path: str, **env_vars: str) -> str:
    """``call`` in bash after sourcing a copy of python_env.sh in a fake
    repository ``tmp_path/repo`` (run from another directory)."""
    tools = tmp_path / 'repo' / 'tools'
    tools.mkdir(parents=True, exist_ok=True)
    shutil.copy(PYTHON_ENV, tools)
    env = dict(PATH=path, **env_vars)
    result = subprocess.run(
        [shutil.which('bash'), '-c',
         f'source {tools / "python_env.sh"} && {call}'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_python_precedence_explicit_then_venv_then_path(tmp_path):
    path = osp.dirname(fake_program(tmp_path / 'bin' / 'python3', 'py3'))
    path += os.pathsep + osp.dirname(shutil.which('dirname'))
    venv = fake_program(tmp_path / 'repo' / '.venv' / 'bin' / 'python', 'v')
    assert sourced(tmp_path, 'vrm_mm_python', path,
                   PYTHON='/opt/py') == '/opt/py'
    assert sourced(tmp_path, 'vrm_mm_python', path) == venv
    os.remove(venv)
    assert sourced(tmp_path, 'vrm_mm_python', path) == str(
        tmp_path / 'bin' / 'python3')


def test_rank_line_says_cpu_ranks_without_a_visible_gpu(tmp_path):
    bin_dir = tmp_path / 'bin'
    no_gpu = fake_program(tmp_path / 'py0', '0')
    with_gpu = fake_program(tmp_path / 'py2', '2')
    path = str(bin_dir)
    bin_dir.mkdir()
    # no nvidia-smi: the CPU, without asking torch
    assert sourced(tmp_path, f'vrm_mm_ranks {with_gpu} 2',
                   path) == 'CPU ranks (gloo): 2'
    fake_program(bin_dir / 'nvidia-smi', 'GPU')
    assert sourced(tmp_path, f'vrm_mm_ranks {no_gpu} 2',
                   path) == 'CPU ranks (gloo): 2'
    assert sourced(tmp_path, f'vrm_mm_ranks {with_gpu} 2',
                   path) == 'GPU number: 2'


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='a CPU machine')
def test_dist_train_runs_without_python_on_path(tmp_path, tiny_folder):
    """PATH holds bash and the few programs the script calls, no python:
    the script finds the interpreter itself (the repo's .venv, else
    $PYTHON: this one)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in ('bash', 'env', 'dirname', 'mktemp', 'cat', 'rm'):
        os.symlink(shutil.which(name), bin_dir / name)
    env = dict(PATH=str(bin_dir), HOME=str(tmp_path), OMP_NUM_THREADS='1')
    venv = osp.join(REPO_ROOT, '.venv', 'bin', 'python')
    if not os.access(venv, os.X_OK):
        env['PYTHON'] = sys.executable
    work_dir = str(tmp_path / 'dist')
    result = subprocess.run(
        [str(bin_dir / 'bash'), osp.join(REPO_ROOT, 'tools',
                                         'dist_train.sh'),
         CONFIG, '1', '--work-dir', work_dir, '--no-validate',
         '--cfg-options', *data_options(tiny_folder),
         'train_cfg.max_epochs=1'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    python = env.get('PYTHON', venv)
    assert f'dist_train.sh: CPU ranks (gloo): 1 (python: {python})' in log
    assert 'Distributed training: True' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
