# VRM, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (two views per image), mdistiller's ImageNet schedule.
# Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the teacher
# of the baselines' published numbers. Download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's ResNet34, 73.62: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth;
# configs/README.md).
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/imagenet_bs64_vrm.py',
    '../_base_/schedules/imagenet_bs512_100e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    # Each rank builds VRM's graphs over its own 64 images, as the
    # DataParallel-era ImageNet recipes computed their batch losses:
    # mdistiller wraps the distiller in DataParallel (tools/train.py line
    # 78), so each replica runs the loss on its chunk (64 images on 8 GPUs)
    # and the trainer averages the replicas' losses (mdistiller/engine/
    # trainer.py lines 164-167). gather='all' builds one graph over all 512
    # images instead: an option that no published recipe is known to have
    # run (docs/vrm_method.md, "Cross-rank graphs").
    distill_losses=dict(loss_vrm=dict(gather='none')))
