# CIFAR-100 `resnet8` of RepDistiller / mdistiller: 83,892 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model resnet8
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        # PyTorch's default Linear init, as in the public network.
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
