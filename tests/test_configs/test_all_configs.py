"""Every experiment config loads, builds and trains one iteration.

All ``configs/**/*.py`` outside ``_base_`` are collected, so a new config is
tested without editing this file. Each one trains on real images, the
CIFAR-100, Fashion-MNIST or ImageNet test images of the ``foolbox`` wheel
(``FilenameLabelledImages``), through the config's own train and val
pipelines, with these overrides (what ``--cfg-options`` would set):

* batch 3 (the smallest RKD's angle relation accepts), one epoch of one
  iteration, no dataloader worker processes;
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
import copy
import glob
import importlib.util
import os
import os.path as osp
import re
from typing import Callable, Dict, List

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS
from vrm_mm.utils.config_check import check_top_level_keys

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path.split(os.sep))

# foolbox is located, not imported: its import needs packages absent here.
FOOLBOX_DATA = osp.join(
    list(importlib.util.find_spec('foolbox').submodule_search_locations)[0],
    'data')
# the configs' dataset types -> (file name prefix, colour type) of the
# foolbox images standing in for them
IMAGES = {
    'LocalCIFAR100': ('cifar100_', 'color'),
    'FashionMNIST': ('fashionMNIST_', 'grayscale'),
    'ImageNet': ('imagenet_', 'color'),
}
BATCH = 3
SMALLER = {224: 64, 256: 73}  # pipeline sizes -> test sizes
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


def _smaller(node):
    """``node`` with every 224/256 px ``scale``/``crop_size`` reduced."""
    if isinstance(node, (list, tuple)):
        return [_smaller(item) for item in node]
    if isinstance(node, dict):
        return {
            key: SMALLER.get(value, value) if key in (
                'scale', 'crop_size') and isinstance(value, int) else
            _smaller(value)
            for key, value in node.items()
        }
    return node


def _tiny_loader(loader: dict) -> dict:
    prefix, color_type = IMAGES[loader['dataset']['type']]
    return dict(
        loader,
        batch_size=BATCH,
        num_workers=0,
        persistent_workers=False,
        dataset=dict(
            type='FilenameLabelledImages',
            data_root=FOOLBOX_DATA,
            prefix=prefix,
            color_type=color_type,
            indices=BATCH,
            pipeline=_smaller(loader['dataset']['pipeline'])))


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
            init_default_scope('vrm_mm')
            model = MODELS.build(load_model_cfg(teacher, 'teacher'))
            saved[key] = str(folder / f'teacher{len(saved)}.pth')
            torch.save(model.state_dict(), saved[key])
        return saved[key]

    return ckpt


def _tiny_config(config: str, work_dir: str, teacher_ckpt) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    check_top_level_keys(cfg)
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader'
        cfg[key] = _tiny_loader(cfg[key].to_dict())
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    if 'teacher' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt(cfg.model.teacher.to_dict())
    return cfg


def _loss_names(cfg: Config) -> List[str]:
    """The loss terms a distiller logs (a classifier logs ``loss`` only)."""
    if 'distill_losses' not in cfg.model:
        return []
    return ['loss_cls', *cfg.model.distill_losses]


def _check_losses(losses: Dict[str, float], cfg: Config) -> None:
    assert torch.isfinite(torch.tensor(losses['loss'])), losses
    for name in _loss_names(cfg):
        # a loss returning a dict logs its own `loss_<name>_*` terms
        assert any(key.startswith(name) for key in losses), (name, losses)


def _train_step(cfg: Config) -> None:
    """One iteration as the Runner runs it, without the Runner."""
    init_default_scope(cfg.default_scope)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.train()
    losses = model.train_step(next(iter(loader)), optim_wrapper)
    _check_losses({k: v.item() for k, v in losses.items()}, cfg)
    assert any(not torch.equal(before[k], v)
               for k, v in model.named_parameters()), 'no parameter changed'


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
    _check_losses(losses, cfg)
    assert 'val/accuracy/top1' in hub.log_scalars
    hooks = [hook['type'] for hook in cfg.get('custom_hooks', [])]
    if 'TeacherEvalHook' in hooks:
        assert 'teacher/accuracy/top1' in hub.log_scalars
    if 'DistillLossWarmupHook' in hooks:
        assert 'train/distill_warmup_factor' in hub.log_scalars
    assert glob.glob(osp.join(cfg.work_dir, 'epoch_1.pth'))


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_one_iteration(config, tmp_path, teacher_ckpt):
    cfg = _tiny_config(config, str(tmp_path), teacher_ckpt)
    if config in RUNNER_CONFIGS:
        _run(cfg)
    else:
        _train_step(cfg)
