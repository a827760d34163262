# KD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (reference 71.03 top-1, best epoch), mdistiller's setting
# (configs/imagenet/r34_r18/kd.yaml lines 15-27): CE 0.5, KD 0.5, T = 1, SGD
# lr 0.2, wd 1e-4, x0.1 at 30/60/90.
# Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the teacher
# of the published numbers. Download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's ResNet34, 73.62: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/kd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    distill_losses=dict(loss_kd=dict(temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)
