# Demo teacher: CIFAR ResNet20 on Fashion-MNIST (28 x 28 grey), 3 epochs on
# 10k training images; evaluated on the official 10k test split.
_base_ = [
    '../_base_/models/cifar100/resnet20.py',
    '../_base_/datasets/fashion_mnist_bs64.py',
    '../_base_/schedules/fashion_mnist_demo_3e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(in_channels=1),
    head=dict(num_classes=10, topk=(1, )))

# the first 10k training images keep the demo within minutes on 2 cores
train_dataloader = dict(num_workers=2, dataset=dict(indices=10000))
val_dataloader = dict(num_workers=2)
test_dataloader = dict(num_workers=2)
val_evaluator = dict(topk=(1, ))
test_evaluator = dict(topk=(1, ))
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(max_keep_ckpts=1, save_best=None))
