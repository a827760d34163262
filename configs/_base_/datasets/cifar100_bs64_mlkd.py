# CIFAR-100 with MLKD's two views: the weak view is the recipe's RandomCrop
# 32 pad 4 + flip (the real view of cifar100_bs64_vrm.py), the strong view
# the same crop/flip followed by the released RandAugment + Cutout
# (Multi-Level-Logit-Distillation mdistiller/dataset/cifar100.py lines
# 321-342; vrm_mm/datasets/transforms/mlkd_strong_augment.py). Same
# variables as cifar100_bs64_vrm.py.
_base_ = './cifar100_bs64_vrm.py'

train_pipeline = [
    dict(type='RealVirtualViews', view_transforms=step.view_transforms,
         virtual_transforms=[dict(type='MLKDStrongAugment')])
    if step.type == 'RealVirtualViews' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
