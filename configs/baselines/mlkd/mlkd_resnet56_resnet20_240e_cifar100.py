# MLKD, ResNet56 -> ResNet20 on CIFAR-100, two views per image (reference 72.19
# top-1, best epoch, MLKD Tables 1-2), the released recipe
# (configs/cifar100/ours/res56_res20.yaml lines 10-17): batch 64, SGD lr 0.025,
# momentum 0.9, wd 5e-4, x0.1 at 150/180/210, 240 epochs. Teacher checkpoint:
# train configs/teachers/ce_resnet56_240e_cifar100.py, or convert the public
# one with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/mlkd.py',
    '../../_base_/datasets/cifar100_bs64_mlkd.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth')

# configs/cifar100/ours/res56_res20.yaml line 12 (SOLVER.LR)
optim_wrapper = dict(optimizer=dict(lr=0.025))
