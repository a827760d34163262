# CIFAR-100 at 224 px with two views per image for VRM (see
# cifar100_224px_bs128.py and cifar100_bs64_vrm.py): both views are the
# recipe's crop/flip resized to 224; the virtual view then gets RandAugment
# at 224 px. Validation and test stay single-view.
_base_ = './cifar100_224px_bs128.py'

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

train_pipeline = [
    dict(
        type='RealVirtualViews',
        view_transforms=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='Resize', scale=224, interpolation='bicubic'),
        ],
        # as in cifar100_bs64_vrm.py
        num_ops=2,
        magnitude=10,
        policies='vrm_increasing',
        cutout_shape=None),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
