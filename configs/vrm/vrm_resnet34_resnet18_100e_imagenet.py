# VRM, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (two views per image). Teacher checkpoint: mmpretrain's
# resnet34_8xb32_in1k (configs/README.md).
# The published number's teacher is torchvision's ResNet34 (73.31):
# python tools/convert_torchvision.py resnet34-b627a593.pth
# work_dirs/teachers/resnet34_imagenet.pth --model resnet34
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/imagenet_bs64_vrm.py',
    '../_base_/schedules/imagenet_bs512_100e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_imagenet.pth',
    # mdistiller, on which VRM's recipes are built, computes each loss over
    # the whole batch (DataParallel: 512 images on ImageNet); under DDP a
    # rank holds 64, so the graphs gather every rank's logits
    # (docs/vrm_method.md, "Cross-rank graphs").
    distill_losses=dict(loss_vrm=dict(gather='all')))
