# ImageNet-1k with two views per image for VRM: the real view is
# RandomResizedCrop 224 + flip; the virtual view an independent
# RandomResizedCrop/flip + RandAugment (+ optional Cutout). Validation and
# test stay single-view. Same variables as imagenet_bs64.py.
_base_ = './imagenet_bs64.py'

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

train_pipeline = [
    _base_.load_image,
    dict(
        type='RealVirtualViews',
        view_transforms=[
            # torchvision's crop and PIL resizing, as imagenet_bs64.py
            dict(type='RandomResizedCrop', scale=224, backend='pillow',
                 interpolation='bilinear'),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ],
        # vrm_method.md step 1 (strength open, "moderate is best").
        num_ops=2,
        magnitude=10,
        policies='vrm_increasing',
        # optional; e.g. cutout_shape=56 (a quarter of the side)
        cutout_shape=None),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
