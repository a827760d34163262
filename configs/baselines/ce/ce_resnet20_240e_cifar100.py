# ResNet20 trained alone on CIFAR-100: the student baseline (reference 69.06
# top-1, CRD's tables, last epoch), same data, schedule and budget as its
# distilled runs.
_base_ = [
    '../../_base_/models/cifar100/resnet20.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
