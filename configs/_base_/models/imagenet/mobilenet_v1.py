# ImageNet MobileNet-V1 (1.0 width): 4,231,976 parameters, the student of the
# ResNet50 -> "MobileNet" pair of the KD literature (mdistiller's
# MobileNetV1). mmpretrain has no MobileNet-V1; ResNet18/34/50 come from
# mmpretrain's own model configs (mmpretrain::_base_/models/resnet18.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV1'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
)
