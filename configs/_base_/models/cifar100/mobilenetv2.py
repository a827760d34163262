# CIFAR-100 `MobileNetV2` of RepDistiller / mdistiller: 812,836 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model MobileNetV2
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
