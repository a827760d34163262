# CRD, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 256 as 8 GPUs
# x 32 (reference 71.37 top-1: the CRD row of the ReviewKD and DKD ImageNet
# tables, mdistiller's run, best epoch), mdistiller's setting
# (configs/imagenet/r50_mv1/crd.yaml lines 15-27: batch 256, lr 0.1, wd
# 1e-4, x0.1 at 30/60/90, student / teacher widths 1024 / 2048; its CRD
# defaults, mdistiller/engine/cfg.py lines 134-147): CE 1.0, CRD 0.8, K =
# 16384, tau = 0.07, 128-d embeddings, momentum 0.5. The memory banks hold
# all 1,281,167 training images: 2 x 0.66 GB of buffers on each GPU and in
# every checkpoint.
# Teacher: torchvision's ResNet50 (IMAGENET1K_V1, 76.13 top-1; the papers
# quote 76.16), the teacher of the published numbers. Download
# https://download.pytorch.org/models/resnet50-0676ba61.pth and convert it:
#   python tools/convert_torchvision.py resnet50-0676ba61.pth \
#       work_dirs/teachers/resnet50_torchvision_imagenet.pth --model resnet50
# (mmpretrain's ResNet50, 76.55: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet50_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/crd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs256_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_torchvision_imagenet.pth',
    distill_losses=dict(loss_crd=dict(
        in_channels_S=1024, in_channels_T=2048,  # pre_logits widths
        num_data=1281167)))  # ImageNet-1k's training images
train_dataloader = dict(
    batch_size=32,  # 8 GPUs x 32 = the released batch 256
    # each image with its index and K negatives (CRD's memory-bank rows)
    dataset=dict(_delete_=True, **_base_.contrast_dataset,
                 dataset=_base_.train_dataloader.dataset))
