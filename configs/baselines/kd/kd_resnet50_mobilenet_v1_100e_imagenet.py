# KD, ResNet50 -> MobileNet-V1 on ImageNet (the "ResNet50 -> MobileNet" pair
# of mdistiller), 100 epochs, batch 512 as 8 GPUs x 64 (reference 70.50
# top-1, best epoch), mdistiller's setting (configs/imagenet/r50_mv1/kd.yaml
# lines 15-27): CE 0.5, KD 0.5, T = 1, SGD lr 0.2, wd 1e-4, x0.1 at 30/60/90.
# Teacher: torchvision's ResNet50 (IMAGENET1K_V1, 76.13 top-1; the papers
# quote 76.16), the teacher of the published numbers. Download
# https://download.pytorch.org/models/resnet50-0676ba61.pth and convert it:
#   python tools/convert_torchvision.py resnet50-0676ba61.pth \
#       work_dirs/teachers/resnet50_torchvision_imagenet.pth --model resnet50
# (mmpretrain's ResNet50, 76.55: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet50_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/kd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_torchvision_imagenet.pth',
    distill_losses=dict(loss_kd=dict(temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)
