# CIFAR-100 `vgg11` of RepDistiller / mdistiller: 9,277,284 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model vgg11
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=11),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
