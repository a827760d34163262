# FitNet, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x
# 64 (no published reference: CRD, ReviewKD and DKD report no ImageNet FitNet,
# and mdistiller has no ImageNet FitNet setting). The CIFAR-100 setting carried
# over: CE 1.0, FitNet 100 on the hint layer feat[2] of RepDistiller /
# mdistiller, the second stage (128 x 28 x 28 in both networks), a 1 x 1
# ConvBNReLU regressor; mdistiller's ImageNet schedule of its other methods.
# Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the teacher
# of the other methods' published numbers. Download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's ResNet34, 73.62: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    connectors=dict(hint=dict(in_channels=128, out_channels=128)))
