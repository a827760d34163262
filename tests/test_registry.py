"""Configs with default_scope='vrm_mm' resolve ours and mmpretrain's names."""
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import DefaultScope, init_default_scope

from vrm_mm import registry


def test_children_of_mmpretrain_registries():
    from mmpretrain import registry as mmpretrain_registry
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'METRICS'):
        child = getattr(registry, name)
        assert child.scope == 'vrm_mm'
        assert child.parent is getattr(mmpretrain_registry, name)


def test_mmpretrain_names_resolve_from_our_scope():
    assert registry.MODELS.get('ImageClassifier').__module__.startswith(
        'mmpretrain')
    assert registry.TRANSFORMS.get('RandAugment') is not None
    assert registry.DATASETS.get('CIFAR100') is not None
    assert registry.METRICS.get('Accuracy') is not None
    assert registry.HOOKS.get('CheckpointHook') is not None


def test_our_names_resolve_lazily_through_the_root_registry():
    init_default_scope('vrm_mm')
    try:
        with MMENGINE_MODELS.switch_scope_and_registry('vrm_mm') as models:
            assert models is registry.MODELS
            loss = models.build(dict(type='KDLoss', temperature=2.0))
        assert type(loss).__module__ == 'vrm_mm.models.losses.kd'
        classifier = MMENGINE_MODELS.build(dict(
            type='ImageClassifier', backbone=dict(type='LeNet5'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=2, in_channels=120)))
        assert type(classifier).__name__ == 'ImageClassifier'
        with MMENGINE_TRANSFORMS.switch_scope_and_registry('vrm_mm') as t:
            assert t is registry.TRANSFORMS
    finally:
        DefaultScope._instance_dict.pop('vrm_mm', None)


def test_unknown_name_is_reported():
    assert registry.MODELS.get('NoSuchLossAnywhere') is None
