# Fashion-MNIST (official 60k / 10k split), 28 x 28 grey images: networks
# take in_channels=1. The CIFAR recipe scaled down: RandomCrop 28 pad 2 +
# flip (clothes stay the same class when mirrored), batch 64.
#
# Data: mmpretrain's FashionMNIST reads the four IDX files *uncompressed*
# from data_root. With the Debian package (`apt-get install
# dataset-fashion-mnist`, gzipped files in /usr/share/datasets/fashion-mnist):
#   python -m vrm_mm.datasets.fashion_mnist_files \
#       /usr/share/datasets/fashion-mnist data/fashion_mnist
#
# Variables: dataset_type, data_preprocessor, train_pipeline, test_pipeline,
# train_dataloader, val_dataloader, test_dataloader, val_evaluator,
# test_evaluator.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'

# Merged into `model` by mmengine's Runner when the model dict has none (see
# cifar100_bs64.py). Fashion-MNIST's training-set mean/std (0.2860, 0.3530)
# on the 0-255 scale.
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[0.2860 * 255],
    std=[0.3530 * 255],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    # relation losses compare the samples of a batch: keep batches full
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        # no internet here: a missing file is an error, not a download
        download=False,
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
        # mmpretrain 1.2.0's MNIST picks the t10k files by test_mode, not
        # by split: without test_mode=True this would load the train set.
        test_mode=True,
        download=False,
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
