# FitNet, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 512 as 8
# GPUs x 64 (no published reference: CRD, ReviewKD and DKD report no ImageNet
# FitNet, and mdistiller has no ImageNet FitNet setting). The CIFAR-100
# setting carried over: CE 1.0, FitNet 100 on the teacher's second stage (512
# x 28 x 28, RepDistiller's hint layer feat[2]), regressed from MobileNet-V1's
# last 28 px layer (layer 5, 256 x 28 x 28) by a 1 x 1 ConvBNReLU.
# Teacher: torchvision's ResNet50 (IMAGENET1K_V1, 76.13 top-1; the papers
# quote 76.16), the teacher of the other methods' published numbers. Download
# https://download.pytorch.org/models/resnet50-0676ba61.pth and convert it:
#   python tools/convert_torchvision.py resnet50-0676ba61.pth \
#       work_dirs/teachers/resnet50_torchvision_imagenet.pth --model resnet50
# (mmpretrain's ResNet50, 76.55: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet50_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_torchvision_imagenet.pth',
    connectors=dict(hint=dict(in_channels=256, out_channels=512,
                              input='student.feats.5')))
