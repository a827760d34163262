# DeiT-Tiny (mmpretrain's VisionTransformer, arch 'deit-tiny': 5.7M
# parameters) for 224 px CIFAR-100, trained from scratch: 16 px patches,
# stochastic depth 0.1 and the truncated-normal init of mmpretrain's deit
# configs; plain cross-entropy (no label smoothing, Mixup or CutMix), so
# the student-alone and distilled runs differ in the distillation only.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='deit-tiny',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=100,
        in_channels=192,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ])
