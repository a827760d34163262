# FitNet, WRN-40-2 -> ShuffleNetV1 on CIFAR-100, 240 epochs (reference 73.73
# top-1: CRD Table 2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_wrn_40_2_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/wrn_40_2.py'),
    # RepDistiller's hint layer feat[2]: the student's 480 x 8 x 8 stage 1
    # regressed to the teacher's 64 x 16 x 16 stage 1 (as ConvReg, a transposed
    # convolution doubles the size)
    connectors=dict(hint=dict(
        in_channels=480,
        out_channels=64,
        in_size=8,
        out_size=16)),
    teacher_ckpt='work_dirs/teachers/wrn_40_2_cifar100.pth')

# RepDistiller train_student.py lines 93-94: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
