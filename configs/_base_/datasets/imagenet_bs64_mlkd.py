# ImageNet with MLKD's two views: the weak view is the recipe's
# RandomResizedCrop 224 + flip (the real view of imagenet_bs64_vrm.py), the
# strong view the same followed by the released RandAugment + Cutout
# (Multi-Level-Logit-Distillation mdistiller/dataset/imagenet.py lines
# 271-292); the base's arrays are BGR. Same variables as
# imagenet_bs64_vrm.py.
_base_ = './imagenet_bs64_vrm.py'

train_pipeline = [
    dict(type='RealVirtualViews', view_transforms=step.view_transforms,
         virtual_transforms=[
             dict(type='MLKDStrongAugment', channel_order='bgr')])
    if step.type == 'RealVirtualViews' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
