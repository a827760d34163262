# MobileNetV2 trained alone on CIFAR-100: the student baseline (reference 64.60
# top-1, CRD protocol), same data, schedule and budget as its distilled runs.
_base_ = [
    '../../_base_/models/cifar100/mobilenetv2.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]

# the recipe's lr for MobileNetV2 / ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
