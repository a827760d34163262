# FitNet, ResNet32x4 -> ShuffleNetV2 on CIFAR-100, 240 epochs (reference 73.54
# top-1: CRD Table 2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_resnet32x4_240e_cifar100.py, or convert the public one
# with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/shufflev2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet32x4.py'),
    # RepDistiller's hint layer feat[2]: the student's 232 x 8 x 8 stage 1
    # regressed to the teacher's 128 x 16 x 16 stage 1 (as ConvReg, a
    # transposed convolution doubles the size)
    connectors=dict(hint=dict(
        in_channels=232,
        out_channels=128,
        in_size=8,
        out_size=16)),
    teacher_ckpt='work_dirs/teachers/resnet32x4_cifar100.pth')

# RepDistiller train_student.py lines 93-94: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
