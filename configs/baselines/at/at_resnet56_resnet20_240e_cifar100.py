# AT, ResNet56 -> ResNet20 on CIFAR-100, 240 epochs (reference 70.55 top-1: CRD
# Table 1, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_resnet56_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/at.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth')
