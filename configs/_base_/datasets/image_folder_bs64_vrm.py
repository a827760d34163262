# Your own images in folders with two views per image for VRM: the real
# view is RandomResizedCrop 224 + flip, the virtual view an independent
# RandomResizedCrop/flip + RandAugment (+ optional Cutout), as
# imagenet_bs64_vrm.py (../views/vrm_virtual_view.py). Validation and test stay
# single-view. Layout, class lists, num_classes / data_root set once,
# channel order (BGR decoded, to_rgb=True) and annotation files:
# image_folder_bs64.py.
_base_ = ['./image_folder_bs64.py', '../views/vrm_virtual_view.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

train_pipeline = [
    _base_.load_image,
    dict(
        type='RealVirtualViews',
        view_transforms=_base_.train_pipeline[1:-1],
        **_base_.vrm_virtual_view),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
