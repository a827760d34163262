# Accuracy benchmark teacher: CIFAR ResNet20 on Fashion-MNIST.
# Trained on training images 5000..59999 (55k); images 0..4999 are the
# validation slice every run selects its "best" epoch on; the official test
# split is only reported. Overrides from benchmarks/accuracy.py: epochs.
_base_ = [
    '../../configs/_base_/models/cifar100/resnet20.py',
    '../../configs/_base_/datasets/fashion_mnist_bs64.py',
    '../../configs/_base_/default_runtime.py',
]
model = dict(
    backbone=dict(in_channels=1),
    head=dict(num_classes=10, topk=(1, )))

# ranges, not lists: mmengine formats the whole config text (yapf) at every
# checkpoint, and a 55k-element list made that take seconds each time
VAL_SLICE = range(0, 5000)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=3)
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
val_cfg = dict()
test_cfg = dict()

train_dataloader = dict(
    num_workers=1, persistent_workers=True,
    dataset=dict(indices=range(5000, 60000)))
# validation: a slice of the official training split (never the test split)
val_dataloader = dict(
    num_workers=1, persistent_workers=True,
    dataset=dict(split='train', test_mode=False, indices=VAL_SLICE))
test_dataloader = dict(num_workers=1, persistent_workers=True)
val_evaluator = dict(topk=(1, ))
test_evaluator = dict(topk=(1, ))
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(max_keep_ckpts=1, save_best='accuracy/top1',
                    rule='greater'))
