# VRM option: MLKD's released strong view as the virtual view (FixMatch-style
# RandAugment, 2 of 14 ops at random magnitudes, then Cutout;
# configs/_base_/datasets/cifar100_bs64_mlkd.py) instead of the default
# RandAugment(2 ops, magnitude 10) of cifar100_bs64_vrm.py. Measured beside
# the default in benchmarks/results/accuracy_released.md (vrm_mlkd_view).
_base_ = [
    '../../_base_/distillers/vrm.py',
    '../../_base_/datasets/cifar100_bs64_mlkd.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth')
