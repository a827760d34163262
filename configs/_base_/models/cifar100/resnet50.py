# CIFAR-100 `ResNet50` of RepDistiller / mdistiller: 23,705,252 parameters.
# Public checkpoints: tools/convert_repdistiller.py SRC DST --model ResNet50
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=50,
        # The public ResNet50 does not zero-init the last BN of each block.
        zero_init_residual=False,
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        # PyTorch's default Linear init, as in the public network.
        init_cfg=None,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
