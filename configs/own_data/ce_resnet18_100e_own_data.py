# Teacher for your own images: ResNet18 trained alone on an image folder
# (configs/_base_/datasets/image_folder_bs64.py: <data_root>/train/<class>/
# and <data_root>/val/<class>/), 100 epochs of the ImageNet recipe at
# batch 64. docs/tutorials/own_data.md walks through teacher, VRM student,
# test and export.
#
# From ImageNet weights instead of from scratch (usually better on a few
# thousand images): --cfg-options model.backbone.init_cfg="dict(
# type='Pretrained', checkpoint='resnet18.pth', prefix='backbone')" with
# an mmpretrain ResNet18 checkpoint (tools/convert_torchvision.py converts
# torchvision's).
_base_ = [
    '../_base_/datasets/image_folder_bs64.py',
    '../_base_/schedules/imagenet_bs256_100e.py',
    '../_base_/default_runtime.py',
]
# The two settings of your data, set here once (or by --cfg-options
# num_classes=N data_root=DIR): tools/train.py and tools/test.py write them
# into the head, the data preprocessor and the datasets.
num_classes = 10  # the number of class subfolders of <data_root>/train
data_root = 'data/my_images'

# mmpretrain's ResNet18 (mmpretrain::_base_/models/resnet18.py)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(3, ),
                  style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
data_preprocessor = dict(num_classes=num_classes)

# The ImageNet recipe's lr 0.1 at batch 256, scaled linearly to one GPU x
# 64 (--auto-scale-lr rescales it for other batches).
optim_wrapper = dict(optimizer=dict(lr=0.025))
auto_scale_lr = dict(base_batch_size=64)
