# CIFAR-100 `ShuffleV1` of RepDistiller / mdistiller: 949,258 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model ShuffleV1
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARShuffleNetV1'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=960,
        # PyTorch's default Linear init, as in the public network.
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
