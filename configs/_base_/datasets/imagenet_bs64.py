# ImageNet-1k, 64 images per GPU (the recipe's batch 512 is 8 x 64), with
# the augmentation and resizing of torchvision, which every published
# ImageNet number of the KD literature used (mdistiller
# mdistiller/dataset/imagenet.py lines 68-90, the ReviewKD authors'
# ImageNet/imagenet_amp.py lines 236-249, CTKD, MLKD): train
# RandomResizedCrop 224 + horizontal flip, test Resize 256 (short edge) +
# CenterCrop 224, images decoded and resized by PIL. mmpretrain's defaults
# (cv2 decoding, cv2 bilinear resizing without antialiasing) give test
# tensors that differ from torchvision's by 0.05 std on average and up to
# 1.8 (foolbox's ImageNet samples); with the pillow settings below they are
# equal to float rounding (tests/test_datasets/test_imagenet_pipeline.py):
# * LoadImageFromFile decodes with PIL and converts to RGB as torchvision's
#   ImageFolder loader (`Image.open(f).convert('RGB')`), EXIF orientation
#   ignored as there ('color_ignore_orientation'); the array is BGR, and
#   the data preprocessor's to_rgb turns it back;
# * ResizeEdge / RandomResizedCrop resize with PIL's bilinear filter, which
#   antialiases when downscaling as torchvision's PIL path does; the crop
#   box sampling and the centre crop's rounding are torchvision's.
#
# Our own copy rather than `_base_ = 'mmpretrain::_base_/datasets/
# imagenet_bs64.py'`: that inheritance works offline, but mmengine tags
# every inherited dict with `_scope_='mmpretrain'`, and the dataset would
# then build its pipeline in mmpretrain's registry, where vrm_mm's
# transforms (RealVirtualViews) do not exist.
#
# Data: mmpretrain's ImageNet layout, data/imagenet/{train,val}/<class>/...
# or with the annotation files data/imagenet/meta/{train,val}.txt.
#
# Variables: dataset_type, data_preprocessor, load_image, train_pipeline,
# test_pipeline, train_dataloader, val_dataloader, test_dataloader,
# val_evaluator, test_evaluator.
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

# Merged into `model` by mmengine's Runner when the model dict has none (see
# cifar100_bs64.py).
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are decoded BGR
    to_rgb=True)

# torchvision's ImageFolder loader and its PIL resizing (see above)
load_image = dict(type='LoadImageFromFile', imdecode_backend='pillow',
                  color_type='color_ignore_orientation')
train_pipeline = [
    load_image,
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    load_image,
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    # relation losses compare the samples of a batch: keep batches full
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
