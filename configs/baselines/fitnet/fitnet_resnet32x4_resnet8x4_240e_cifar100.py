# FitNet, ResNet32x4 -> ResNet8x4 on CIFAR-100, 240 epochs (reference 73.50
# top-1: CRD Table 1, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_resnet32x4_240e_cifar100.py, or convert the public one
# with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet32x4.py'),
    # RepDistiller's hint layer feat[2]: the student's 128 x 16 x 16 stage 1
    # regressed to the teacher's 128 x 16 x 16 stage 1
    connectors=dict(hint=dict(
        in_channels=128,
        out_channels=128)),
    teacher_ckpt='work_dirs/teachers/resnet32x4_cifar100.pth')
