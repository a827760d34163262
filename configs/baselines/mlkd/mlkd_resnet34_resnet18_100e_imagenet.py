# MLKD, ResNet34 -> ResNet18 on ImageNet, two views per image (reference 71.90
# top-1, best epoch, MLKD Table 3), the released setting
# (configs/imagenet/r34_r18/kd_ours.yaml lines 15-28): batch 512 (here 8 GPUs x
# 64), SGD lr 0.1, momentum 0.9, wd 1e-4, x0.1 at 30/60/90, 100 epochs; CE 0.5
# on each view, 0.5 on the alignment terms, base temperature 1 (temperatures 1,
# 3, 5, 2, 6).
# Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the teacher
# of the published numbers. Download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's ResNet34, 73.62: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/mlkd.py',
    '../../_base_/datasets/imagenet_bs64_mlkd.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    # kd_ours.yaml lines 24-28: KD.TEMPERATURE 1, CE_WEIGHT 0.5, KD_WEIGHT 0.5
    distill_losses=dict(loss_mlkd=dict(
        temperatures=(1.0, 3.0, 5.0, 2.0, 6.0), virtual_ce_weight=0.5,
        loss_weight=0.5)),
    student_loss_weight=0.5)

# kd_ours.yaml line 17 (SOLVER.LR)
optim_wrapper = dict(optimizer=dict(lr=0.1))
