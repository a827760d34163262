"""Tiny classifiers and distillers shared by the distillation tests."""
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from vrm_mm.registry import MODELS

WIDTH = 16  # feature width of tiny_classifier


def tiny_classifier(num_classes: int = 3,
                    norm: str = 'BN',
                    in_channels: int = 3,
                    depth: int = 8,
                    base_channels: int = 4) -> dict:
    """A CIFAR zoo ResNet (stages of 32, 16, 8 px on 32-px images); by
    default a ResNet-8 with 4-8-16 channels: ~6k parameters."""
    norm_cfg = dict(type='BN') if norm == 'BN' else dict(
        type='GN', num_groups=2)
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='CIFARResNet', depth=depth, stem_channels=base_channels,
            base_channels=base_channels, in_channels=in_channels,
            norm_cfg=norm_cfg),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=4 * base_channels,
                  loss=dict(type='CrossEntropyLoss')))


def build(cfg: dict):
    """Build a model config in the vrm_mm scope."""
    init_default_scope('vrm_mm')
    return MODELS.build(cfg)


def base_distiller_config(method: str) -> Config:
    """``configs/_base_/distillers/<method>.py``."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return Config.fromfile(
        osp.join(root, 'configs', '_base_', 'distillers', f'{method}.py'))


def base_loss(method: str, key: str, **overrides):
    """The loss ``key`` as configs/_base_/distillers/<method>.py builds it
    (``overrides`` replace its options)."""
    loss = dict(base_distiller_config(method).model.distill_losses[key],
                **overrides)
    loss.pop('inputs')
    return build(loss)


def save_teacher(path: str, cfg: Optional[dict] = None,
                 seed: int = 0) -> dict:
    """Save a randomly initialised classifier's state dict to ``path``."""
    torch.manual_seed(seed)
    state_dict = build(cfg or tiny_classifier()).state_dict()
    torch.save(state_dict, path)
    return state_dict


KD_LOSS = dict(
    type='KDLoss', temperature=4.0, loss_weight=0.9,
    inputs=dict(preds_S='student.logits', preds_T='teacher.logits'))


def distiller_cfg(teacher_ckpt: str, **overrides) -> dict:
    """A KD distiller of two tiny classifiers; ``overrides`` replace keys."""
    cfg = dict(
        type='SingleTeacherDistiller',
        student=tiny_classifier(),
        teacher=tiny_classifier(),
        teacher_ckpt=teacher_ckpt,
        distill_losses=dict(loss_kd=dict(KD_LOSS)),
        student_loss_weight=0.1,
        data_preprocessor=dict(mean=[0.0] * 3, std=[1.0] * 3))
    cfg.update(overrides)
    return cfg


def samples(labels: Sequence[int]) -> list:
    """One DataSample per label."""
    return [DataSample().set_gt_label(label) for label in labels]
