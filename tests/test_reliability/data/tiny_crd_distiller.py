# A tiny CRD distillation run for the resume test: two CIFAR-ResNet-8
# (4-8-16 channels) on the tests' 2-class grayscale image folder (16 train
# images, 8 per class), wrapped in ContrastSampleDataset with K = 4
# negatives of the other class; CRD's memory banks hold the 16 images. The
# tests set data_root, model.teacher_ckpt and work_dir.
_base_ = ['../../../configs/_base_/default_runtime.py']

data_root = 'tests/data/tiny_folder'  # overridden by the tests


def _classifier():
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=8, stem_channels=4,
                      base_channels=4, in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=16,
                  loss=dict(type='CrossEntropyLoss'), topk=(1, )))


model = dict(
    type='SingleTeacherDistiller',
    student=_classifier(),
    teacher=_classifier(),
    teacher_ckpt='teacher.pth',  # overridden by the tests
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss', in_channels_S=16, in_channels_T=16,
            num_data=16, feat_dim=8,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits',
                        sample_idx='sample_idx',
                        contrast_idx='contrast_idx'))),
    data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=2,
                           mean=[127.5], std=[127.5]))

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ContrastSampleDataset', num_negatives=4,
        dataset=dict(type='CustomDataset', data_root=data_root,
                     data_prefix='train', pipeline=train_pipeline)))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
train_cfg = dict(by_epoch=True, max_epochs=2)
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                    max_keep_ckpts=-1, save_best=None))
