# VGG13 trained from scratch on CIFAR-100 with the 240-epoch recipe, as a
# teacher (reference 74.64 top-1, CRD protocol). Then copy its best checkpoint
# to work_dirs/teachers/vgg13_cifar100.pth (configs/README.md).
_base_ = [
    '../_base_/models/cifar100/vgg13.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/default_runtime.py',
]
