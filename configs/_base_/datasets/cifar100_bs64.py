# CIFAR-100 with the CRD / mdistiller recipe: RandomCrop 32 pad 4 + flip,
# batch 64, the recipe's mean/std.
#
# Data: the official python version. Extract cifar-100-python.tar.gz
# (https://www.cs.toronto.edu/~kriz/cifar.html) into data/cifar100, giving
# data/cifar100/cifar-100-python/{train,test,meta}. LocalCIFAR100 is
# mmpretrain's CIFAR100 without the download path (no internet here): a
# missing file or checksum mismatch is reported with the fix.
#
# Variables: dataset_type, data_preprocessor, train_pipeline, test_pipeline,
# train_dataloader, val_dataloader, test_dataloader, val_evaluator,
# test_evaluator.
dataset_type = 'LocalCIFAR100'
data_root = 'data/cifar100'

# A top-level `data_preprocessor` is merged by mmengine's Runner into the
# `model` dict when that dict has none (Runner: model.setdefault(
# 'data_preprocessor', cfg.data_preprocessor)), so model configs that
# inherit this file need nothing; a `data_preprocessor` inside `model`
# takes precedence. mean/std: CRD's (0.5071, 0.4867, 0.4408) /
# (0.2675, 0.2565, 0.2761) on mmpretrain's 0-255 scale.
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=100,
    mean=[0.5071 * 255, 0.4867 * 255, 0.4408 * 255],
    std=[0.2675 * 255, 0.2565 * 255, 0.2761 * 255],
    # the pickles hold RGB images
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    # relation losses (RKD, DIST, VRM) compare the samples of a batch:
    # a short last batch would change their statistics
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
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))

# CIFAR-100 has no separate validation split: the CRD protocol reports the
# test set, so test == val.
test_dataloader = val_dataloader
test_evaluator = val_evaluator
