# VRM, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 512 as 8 GPUs
# x 64, two views per image (the paper's headline: 74.0 top-1). Teacher
# checkpoint: mmpretrain's resnet50_8xb32_in1k (configs/README.md).
# The published number's teacher is torchvision's ResNet50 (76.16):
# python tools/convert_torchvision.py resnet50-0676ba61.pth
# work_dirs/teachers/resnet50_imagenet.pth --model resnet50
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/imagenet_bs64_vrm.py',
    '../_base_/schedules/imagenet_bs512_100e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_imagenet.pth',
    # mdistiller, on which VRM's recipes are built, computes each loss over
    # the whole batch (DataParallel: 512 images on ImageNet); under DDP a
    # rank holds 64, so the graphs gather every rank's logits
    # (docs/vrm_method.md, "Cross-rank graphs").
    distill_losses=dict(loss_vrm=dict(gather='all')))
