# CIFAR-100 `wrn_16_2` of RepDistiller / mdistiller: 703,284 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model wrn_16_2
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARWideResNet', depth=16, widen_factor=2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=128,
        # PyTorch's default Linear init (the public network also zeroes
        # the bias).
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
