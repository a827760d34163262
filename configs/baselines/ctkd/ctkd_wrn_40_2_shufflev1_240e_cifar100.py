# CTKD, WRN-40-2 -> ShuffleNetV1 on CIFAR-100, 240 epochs (no CTKD reference
# found for this pair). Teacher checkpoint: train
# configs/teachers/ce_wrn_40_2_240e_cifar100.py, or convert the public one
# with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/ctkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/wrn_40_2.py'),
    teacher_ckpt='work_dirs/teachers/wrn_40_2_cifar100.pth')

# CTKD train_student.py lines 125-126: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
