# ReviewKD, ResNet32x4 -> ResNet8x4 on CIFAR-100, 240 epochs. Teacher
# checkpoint: train configs/teachers/ce_resnet32x4_240e_cifar100.py, or
# convert the public one with tools/convert_repdistiller.py
# (configs/README.md).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet32x4.py'),
    # the student's levels (stages, then the pooled feature), shallow to
    # deep, and the teacher's at the same levels: the released code's
    # settings for this pair (CIFAR-100/model/reviewkd.py)
    connectors=dict(abf=dict(
        in_channels=[64, 128, 256, 256],
        out_channels=[64, 128, 256, 256])),
    distill_losses=dict(loss_reviewkd=dict(
        # the authors' CIFAR-100/script/reviewKD.sh (--kd-loss-weight) and
        # mdistiller's configs/cifar100/reviewkd.yaml
        loss_weight=5.0)),
    teacher_ckpt='work_dirs/teachers/resnet32x4_cifar100.pth')
