# DKD, ResNet110 -> ResNet32 on CIFAR-100, 240 epochs (reference 74.11 top-1).
# Teacher checkpoint: train configs/teachers/ce_resnet110_240e_cifar100.py, or
# convert the public one with tools/convert_repdistiller.py
# (configs/README.md).
_base_ = [
    '../../_base_/distillers/dkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet32.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet110.py'),
    teacher_ckpt='work_dirs/teachers/resnet110_cifar100.pth',
    # mdistiller configs/cifar100/dkd/res110_res32.yaml line 19 (DKD.BETA); the
    # other DKD settings are its cfg.py defaults (_base_/distillers/dkd.py)
    distill_losses=dict(loss_dkd=dict(beta=2.0)))
