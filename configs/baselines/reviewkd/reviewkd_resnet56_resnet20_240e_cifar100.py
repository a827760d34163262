# ReviewKD, ResNet56 -> ResNet20 on CIFAR-100, 240 epochs. Teacher checkpoint:
# train configs/teachers/ce_resnet56_240e_cifar100.py, or convert the public
# one with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    # the student's levels (stages, then the pooled feature), shallow to
    # deep, and the teacher's at the same levels: the released code's
    # settings for this pair (CIFAR-100/model/reviewkd.py)
    connectors=dict(abf=dict(
        in_channels=[16, 32, 64, 64],
        out_channels=[16, 32, 64, 64])),
    distill_losses=dict(loss_reviewkd=dict(
        # the authors' CIFAR-100/script/reviewKD.sh (--kd-loss-weight)
        loss_weight=0.6)),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth')
