"""Every method of the accuracy benchmark builds and trains one iteration.

``benchmarks/accuracy_methods.py`` turns the Fashion-MNIST student config
into each compared method (baselines, VRM, VRM ablations); a broken entry
would otherwise surface only inside a half-hour benchmark part.
"""
import math
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from tiny_config_helpers import save_teacher, tiny_loader, train_step

BENCHMARKS = osp.join(osp.dirname(__file__), '..', '..', 'benchmarks')
sys.path.insert(0, osp.abspath(BENCHMARKS))

from accuracy_methods import (  # noqa: E402
    ABLATIONS,
    MAIN_TABLE,
    METHODS,
    STUDENT_CONFIG,
    TEACHER_MODEL,
)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory) -> str:
    teacher = Config.fromfile(TEACHER_MODEL).model.to_dict()
    teacher.pop('data_preprocessor', None)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    return save_teacher(teacher, str(path))


def _method_config(method: str, teacher_ckpt: str) -> Config:
    cfg = METHODS[method](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader'
        cfg[key] = tiny_loader(cfg[key].to_dict())
    return cfg


def test_tables_cover_the_protocol():
    assert set(MAIN_TABLE) == {'ce', 'kd', 'kd_two_views', 'dkd', 'dist',
                               'rkd', 'sp', 'pkt', 'cc', 'mlkd',
                               'mlkd_lr_0.025', 'ctkd', 'reviewkd',
                               'fitnet', 'at', 'crd', 'vrm'}
    assert set(MAIN_TABLE) | set(ABLATIONS) == set(METHODS)
    # benchmarks.md: each part of VRM and every open option is ablated
    assert {'vrm_no_virtual_view', 'vrm_no_ic_graph',
            'vrm_no_redundant_pruning', 'vrm_uep_none',
            'vrm_uep_entropy_sum', 'vrm_uep_ratio_0.3', 'vrm_virtual_ce',
            'vrm_magnitude_5', 'vrm_warmup_2'} <= set(ABLATIONS)


@pytest.mark.parametrize('method', list(METHODS))
def test_method_trains_one_iteration(method, teacher_ckpt):
    torch.manual_seed(0)
    train_step(_method_config(method, teacher_ckpt))


def test_ablations_change_one_thing(teacher_ckpt):
    """Each ablation differs from ``vrm`` exactly where its name says."""
    def build(method):
        return METHODS[method](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)

    vrm = build('vrm')
    views = vrm.train_dataloader.dataset.pipeline[0]
    assert views.type == 'RealVirtualViews' and views.magnitude == 10
    loss = vrm.model.distill_losses.loss_vrm
    assert loss.inputs.s_virtual == 'student.logits_virtual'

    single = build('vrm_no_virtual_view')
    assert single.train_dataloader.dataset.pipeline[0].type != \
        'RealVirtualViews'
    assert single.model.distill_losses.loss_vrm.inputs.s_virtual == \
        'student.logits'
    assert build('vrm_no_ic_graph').model.distill_losses.loss_vrm.beta == 0
    assert build('vrm_no_redundant_pruning').model.distill_losses.loss_vrm \
        .is_edges == 'upper'
    assert build('vrm_magnitude_5').train_dataloader.dataset.pipeline[0] \
        .magnitude == 5
    hooks = build('vrm_warmup_2').custom_hooks
    assert [(h.type, h.loss_names) for h in hooks] == [
        ('DistillLossWarmupHook', ['loss_vrm'])]
    assert vrm.custom_hooks == []


def test_mlkd_at_its_own_lr_changes_only_the_lr(teacher_ckpt):
    def build(method):
        return METHODS[method](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)

    mlkd, half = build('mlkd'), build('mlkd_lr_0.025')
    assert mlkd.optim_wrapper.optimizer.lr == 0.05
    assert half.optim_wrapper.optimizer.lr == 0.025
    half.optim_wrapper.optimizer.lr = 0.05
    assert half.pretty_text == mlkd.pretty_text


def test_reviewkd_warmup_is_the_papers_share_of_training(teacher_ckpt):
    # ReviewKD ramps its loss over 20 of 240 epochs: the same 1/12 of the
    # protocol's iterations, to the nearest one
    cfg = METHODS['reviewkd'](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)
    loader = cfg.train_dataloader
    images, batch = len(loader.dataset.indices), loader.batch_size
    per_epoch = images // batch if loader.drop_last else math.ceil(
        images / batch)
    (hook, ) = cfg.custom_hooks
    assert (hook.type, hook.by_epoch, hook.loss_names) == (
        'DistillLossWarmupHook', False, ['loss_reviewkd'])
    assert hook.warmup == round(cfg.train_cfg.max_epochs * per_epoch / 12)


def test_fitnet_and_at_read_the_stages_of_their_cifar_settings(teacher_ckpt):
    def model(method):
        cfg = METHODS[method](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)
        return cfg.model

    fitnet = model('fitnet')
    assert fitnet.connectors.hint.input == 'student.feats.1'
    assert fitnet.distill_losses.loss_fitnet.loss_weight == 100.0
    assert fitnet.distill_losses.loss_fitnet.inputs.feats_T == \
        'teacher.feats.1'
    at = model('at').distill_losses.loss_at
    assert at.loss_weight == 1000.0 and at.p == 2.0
    assert at.inputs.feats_S == [f'student.feats.{i}' for i in range(3)]
    assert at.inputs.feats_T == [f'teacher.feats.{i}' for i in range(3)]


def test_crd_banks_hold_the_training_subset(teacher_ckpt):
    cfg = METHODS['crd'](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.num_negatives) == (
        'ContrastSampleDataset', 4096)
    loss = cfg.model.distill_losses.loss_crd
    assert loss.num_data == len(dataset.dataset.indices) == 5000
    assert (loss.loss_weight, cfg.model.student_loss_weight) == (0.8, 1.0)
