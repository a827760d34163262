# CIFAR-100 `vgg8` of RepDistiller / mdistiller: 3,965,028 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model vgg8
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
