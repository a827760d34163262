# ImageNet-1k with two views per image for VRM: the real view is
# RandomResizedCrop 224 + flip; the virtual view an independent
# RandomResizedCrop/flip + RandAugment (+ optional Cutout), see
# vrm_virtual_view.py. Validation and test stay single-view. Same variables
# as imagenet_bs64.py.
_base_ = ['./imagenet_bs64.py', '../views/vrm_virtual_view.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

train_pipeline = [
    _base_.load_image,
    dict(
        type='RealVirtualViews',
        # torchvision's crop and PIL resizing, as imagenet_bs64.py
        view_transforms=_base_.train_pipeline[1:-1],
        **_base_.vrm_virtual_view),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
