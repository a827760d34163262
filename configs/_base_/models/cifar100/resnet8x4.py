# CIFAR-100 `resnet8x4` of RepDistiller / mdistiller: 1,233,540 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model resnet8x4
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=8, stem_channels=32, base_channels=64
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
