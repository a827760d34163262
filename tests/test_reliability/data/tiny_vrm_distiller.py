# A tiny VRM distillation run for the reliability tests: two CIFAR-ResNet-8
# (4-8-16 channels) on the tests' 2-class grayscale image folder, two views
# per image (random crop/flip + RandAugment), a step schedule and a
# distillation loss warm-up; no validation. The tests set data_root,
# model.teacher_ckpt and work_dir.
_base_ = ['../../../configs/_base_/default_runtime.py']

data_root = 'tests/data/tiny_folder'  # overridden by the tests


def _classifier(norm_cfg):
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=8, stem_channels=4,
                      base_channels=4, in_channels=1, norm_cfg=norm_cfg),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=16,
                  loss=dict(type='CrossEntropyLoss'), topk=(1, )))


model = dict(
    type='SingleTeacherDistiller',
    student=_classifier(dict(type='BN')),
    teacher=_classifier(dict(type='BN')),
    teacher_ckpt='teacher.pth',  # overridden by the tests
    distill_losses=dict(
        loss_vrm=dict(
            type='VRMLoss',
            inputs=dict(
                s_real='student.logits',
                s_virtual='student.logits_virtual',
                t_real='teacher.logits',
                t_virtual='teacher.logits_virtual',
                gt_label='gt_label'))),
    data_preprocessor=dict(
        type='MultiViewClsDataPreprocessor', num_classes=2, mean=[127.5],
        std=[127.5]))

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(
        type='RealVirtualViews',
        view_transforms=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ],
        num_ops=2,
        magnitude=9,
        magnitude_std=1.0),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[2])
train_cfg = dict(by_epoch=True, max_epochs=3)
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=-1,
                    save_best=None))
custom_hooks = [dict(type='DistillLossWarmupHook', warmup=2, by_epoch=True)]
