# VRM, ResNet56 -> DeiT-Tiny on CIFAR-100 (the paper: about 79.5 top-1, +14.44
# over the student alone): the student sees both views at 224 px, the
# teacher the same views at 32 px (teacher_input_size). DeiT-Tiny's
# from-scratch recipe (ce_deit_tiny_300e_cifar100.py). Teacher checkpoint:
# configs/README.md.
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/cifar100_224px_bs128_vrm.py',
    '../_base_/schedules/cifar100_bs128_300e_adamw.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/vit/deit_tiny_cifar100.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth',
    teacher_input_size=(32, 32))
