# A tiny mmpretrain classifier config written as mmpretrain users write
# theirs: no vrm_mm base, mmpretrain's scope, its own default_hooks. Random
# crop/flip and Mixup draw from numpy, python and torch. The tests set
# data_root and work_dir.
default_scope = 'mmpretrain'
data_root = 'tests/data/tiny_folder'  # overridden by the tests

model = dict(
    type='ImageClassifier',
    backbone=dict(type='LeNet5'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=120,
              loss=dict(type='CrossEntropyLoss', use_soft=True)),
    data_preprocessor=dict(
        type='ClsDataPreprocessor', num_classes=2, mean=[127.5],
        std=[127.5], batch_augments=dict(augments=dict(type='Mixup',
                                                       alpha=1.0))))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=[
            dict(type='LoadImageFromFile', color_type='grayscale'),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[1])
train_cfg = dict(by_epoch=True, max_epochs=2)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
