# KD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (reference 71.03 top-1), mdistiller's ImageNet weights: CE 0.5, KD 0.5,
# T = 1. Teacher checkpoint: mmpretrain's resnet34_8xb32_in1k (configs/
# README.md), saved as work_dirs/teachers/resnet34_imagenet.pth.
# The published number's teacher is torchvision's ResNet34 (73.31):
# python tools/convert_torchvision.py resnet34-b627a593.pth
# work_dirs/teachers/resnet34_imagenet.pth --model resnet34
_base_ = [
    '../../_base_/distillers/kd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_imagenet.pth',
    distill_losses=dict(loss_kd=dict(temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)
