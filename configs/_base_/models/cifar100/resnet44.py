# CIFAR-100 `resnet44` of RepDistiller / mdistiller: 667,188 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model resnet44
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=44),
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
