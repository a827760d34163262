"""Shared by the tests that train experiment configs one iteration.

A config's dataloaders are swapped for a few real images of the ``foolbox``
wheel (CIFAR-100, Fashion-MNIST or ImageNet test images) read through the
config's own pipelines; ``train_step`` then runs one full iteration.
"""
import copy
import importlib.util
import os.path as osp
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from vrm_mm.engine.hooks.ctkd_curriculum_hook import apply_curriculum
from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS

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
    'ImageFolderDataset': ('cifar10_', 'color'),
}
BATCH = 3
SMALLER = {224: 64, 256: 73}  # pipeline sizes -> test sizes


def smaller(node):
    """``node`` with every 224/256 px ``scale``/``crop_size`` reduced."""
    if isinstance(node, (list, tuple)):
        return [smaller(item) for item in node]
    if isinstance(node, dict):
        return {
            key: SMALLER.get(value, value) if key in (
                'scale', 'crop_size') and isinstance(value, int) else
            smaller(value)
            for key, value in node.items()
        }
    return node


def tiny_loader(loader: dict) -> dict:
    dataset = loader['dataset']
    if dataset['type'] == 'ContrastSampleDataset':
        # CRD's wrapper around the tiny images: their BATCH images are of
        # BATCH classes, so each has BATCH - 1 other-class negatives
        inner = tiny_loader(dict(loader, dataset=dataset['dataset']))
        return dict(inner, dataset=dict(dataset, dataset=inner['dataset'],
                                        num_negatives=BATCH - 1))
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
            pipeline=smaller(loader['dataset']['pipeline'])))


def tiny_memory_banks(cfg: Config) -> None:
    """CRD's memory banks hold a row per training image: BATCH rows for
    the tiny data (the configs' 50,000 or 1,281,167 only cost time)."""
    for loss in cfg.model.get('distill_losses', {}).values():
        if loss.get('type') == 'CRDLoss':
            loss.num_data = BATCH


def save_teacher(teacher: dict, path: str) -> str:
    """Save a freshly built ``teacher`` config's state dict to ``path``."""
    init_default_scope('vrm_mm')
    model = MODELS.build(load_model_cfg(teacher, 'teacher'))
    torch.save(model.state_dict(), path)
    return path


def loss_names(cfg: Config) -> List[str]:
    """The loss terms a distiller logs (a classifier logs ``loss`` only)."""
    if 'distill_losses' not in cfg.model:
        return []
    return ['loss_cls', *cfg.model.distill_losses]


def check_losses(losses: Dict[str, float], cfg: Config) -> None:
    assert torch.isfinite(torch.tensor(losses['loss'])), losses
    for name in loss_names(cfg):
        # a loss returning a dict logs its own `loss_<name>_*` terms
        assert any(key.startswith(name) for key in losses), (name, losses)


def train_step(cfg: Config) -> None:
    """One iteration as the Runner runs it, without the Runner."""
    init_default_scope(cfg.default_scope)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    apply_curriculum(cfg.get('custom_hooks', []), model)
    model.train()
    losses = model.train_step(next(iter(loader)), optim_wrapper)
    check_losses({k: v.item() for k, v in losses.items()}, cfg)
    assert any(not torch.equal(before[k], v)
               for k, v in model.named_parameters()), 'no parameter changed'
