# ShuffleNetV2 trained alone on CIFAR-100: the student baseline (reference
# 71.82 top-1, CRD's tables, last epoch), same data, schedule and budget as its
# distilled runs.
_base_ = [
    '../../_base_/models/cifar100/shufflev2.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]

# RepDistiller train_teacher.py lines 55-56: lr 0.01 for MobileNetV2 /
# ShuffleNet
optim_wrapper = dict(optimizer=dict(lr=0.01))
