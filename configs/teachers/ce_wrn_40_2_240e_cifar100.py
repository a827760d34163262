# WRN-40-2 trained from scratch on CIFAR-100 with the 240-epoch recipe, as a
# teacher (reference 75.61 top-1, CRD protocol). Then copy its best checkpoint
# to work_dirs/teachers/wrn_40_2_cifar100.pth (configs/README.md).
_base_ = [
    '../_base_/models/cifar100/wrn_40_2.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/default_runtime.py',
]
