# CIFAR-100 `ShuffleV2` of RepDistiller / mdistiller: 1,355,528 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model ShuffleV2
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARShuffleNetV2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        # PyTorch's default Linear init, as in the public network.
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
