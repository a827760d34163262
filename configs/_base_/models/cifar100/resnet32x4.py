# CIFAR-100 `resnet32x4` of RepDistiller / mdistiller: 7,433,860 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model resnet32x4
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=32, stem_channels=32, base_channels=64
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        # PyTorch's default Linear init, as in the public network.
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
