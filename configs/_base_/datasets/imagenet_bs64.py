# ImageNet-1k, 64 images per GPU (the recipe's batch 512 is 8 x 64),
# mmpretrain's standard augmentation: RandomResizedCrop 224 + flip; test:
# short edge to 256, CenterCrop 224.
#
# Our own copy rather than `_base_ = 'mmpretrain::_base_/datasets/
# imagenet_bs64.py'`: that inheritance works offline, but mmengine tags
# every inherited dict with `_scope_='mmpretrain'`, and the dataset would
# then build its pipeline in mmpretrain's registry, where vrm_mm's
# transforms (RealVirtualViews) do not exist.
#
# Data: mmpretrain's ImageNet layout, data/imagenet/{train,val}/<class>/...
# or with the annotation files data/imagenet/meta/{train,val}.txt.
#
# Variables: dataset_type, data_preprocessor, train_pipeline, test_pipeline,
# train_dataloader, val_dataloader, test_dataloader, val_evaluator,
# test_evaluator.
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

# Merged into `model` by mmengine's Runner when the model dict has none (see
# cifar100_bs64.py).
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are decoded BGR
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    # relation losses compare the samples of a batch: keep batches full
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
