"""Every experiment config loads, builds and trains one iteration.

All ``configs/**/*.py`` outside ``_base_`` are collected, so a new config is
tested without editing this file. Each one trains on real images, the
CIFAR-100, Fashion-MNIST or ImageNet test images of the ``foolbox`` wheel
(``FilenameLabelledImages``), through the config's own train and val
pipelines, with these overrides (what ``--cfg-options`` would set):

* batch 3 (the smallest RKD's angle relation accepts), one epoch of one
  iteration, no dataloader worker processes;
* CRD: K = 2 negatives (the other two images) and memory banks of 3 rows,
  one per image (``tiny_memory_banks``);
* ``teacher_ckpt``: the state dict of a freshly built teacher;
* pipelines that crop or resize to 224 px (ImageNet, DeiT on CIFAR-100)
  work at 64 px; the networks are unchanged: the CNNs pool globally and
  mmpretrain's ViT interpolates its position embedding.

To stay within about two minutes on two CPU cores, the first config of
each method folder and dataset base runs through a real mmengine Runner
(hooks, DKD warm-up, the teacher's evaluation, the validation loop,
checkpointing); the others build the model, optimizer wrapper and
dataloader the same way and run one ``train_step``, still a full
iteration with an optimizer step.
"""
import glob
import os
import os.path as osp
import re
from typing import Callable, Dict, List

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from tiny_config_helpers import (
    check_losses,
    save_teacher,
    tiny_loader,
    tiny_memory_banks,
    train_step,
)

from vrm_mm.runtime.config_check import check_top_level_keys

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path.split(os.sep))

DATASET_BASE = re.compile(r'_base_/datasets/(\w+)\.py')


def _runner_group(config: str) -> tuple:
    """Method folder and dataset base: one config of each uses a Runner."""
    with open(osp.join(REPO_ROOT, config)) as f:
        found = DATASET_BASE.search(f.read())
    return osp.dirname(config), found.group(1) if found else None


def _first_of_each_group(configs: List[str]) -> set:
    firsts = {}
    for config in configs:
        firsts.setdefault(_runner_group(config), config)
    return set(firsts.values())


RUNNER_CONFIGS = _first_of_each_group(CONFIGS)


def test_configs_are_collected():
    assert len(CONFIGS) >= 80
    folders = {osp.dirname(config) for config in CONFIGS}
    assert {'configs/teachers', 'configs/vrm', 'configs/baselines/kd',
            'configs/baselines/dkd', 'configs/baselines/dist',
            'configs/baselines/rkd', 'configs/baselines/ce'} <= folders
    assert len(RUNNER_CONFIGS) >= 10


def test_readme_lists_every_config():
    with open(osp.join(REPO_ROOT, 'configs', 'README.md')) as f:
        readme = f.read()
    missing = [
        config for config in CONFIGS
        if f'({osp.relpath(config, "configs")})' not in readme
    ]
    assert not missing, f'configs/README.md does not link {missing}'


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """Batches of 3 gain nothing from intra-op threads, and on a loaded
    machine their synchronisation made these tests ~10x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def teacher_ckpt(tmp_path_factory) -> Callable[[dict], str]:
    """A teacher config -> a checkpoint of it, built once per session."""
    folder = tmp_path_factory.mktemp('teachers')
    saved: Dict[str, str] = {}

    def ckpt(teacher: dict) -> str:
        key = repr(sorted(teacher.items()))
        if key not in saved:
            saved[key] = save_teacher(
                teacher, str(folder / f'teacher{len(saved)}.pth'))
        return saved[key]

    return ckpt


def _tiny_config(config: str, work_dir: str, teacher_ckpt) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    check_top_level_keys(cfg)
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader'
        cfg[key] = tiny_loader(cfg[key].to_dict())
    tiny_memory_banks(cfg)
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    if 'teacher' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt(cfg.model.teacher.to_dict())
    return cfg


def _run(cfg: Config) -> None:
    """One epoch of one iteration with the Runner, validation included."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (runner.epoch, runner.iter) == (1, 1)
    hub = runner.message_hub
    losses = {
        key[len('train/'):]: hub.get_scalar(key).current()
        for key in hub.log_scalars if key.startswith('train/loss')
    }
    check_losses(losses, cfg)
    assert 'val/accuracy/top1' in hub.log_scalars
    hooks = [hook['type'] for hook in cfg.get('custom_hooks', [])]
    if 'TeacherEvalHook' in hooks:
        assert 'teacher/accuracy/top1' in hub.log_scalars
    if 'DistillLossWarmupHook' in hooks:
        assert 'train/distill_warmup_factor' in hub.log_scalars
    assert glob.glob(osp.join(cfg.work_dir, 'epoch_1.pth'))


@pytest.mark.parametrize('config', CONFIGS)
@pytest.mark.slow
def test_config_trains_one_iteration(config, tmp_path, teacher_ckpt):
    cfg = _tiny_config(config, str(tmp_path), teacher_ckpt)
    if config in RUNNER_CONFIGS:
        _run(cfg)
    else:
        train_step(cfg)
