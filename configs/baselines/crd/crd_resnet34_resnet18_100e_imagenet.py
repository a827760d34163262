# CRD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (reference 71.17 top-1: the CRD row of the ReviewKD and DKD ImageNet
# tables), mdistiller's ImageNet setting (configs/imagenet/r34_r18/crd.yaml
# with its CRD defaults): the CIFAR-100 one, CE 1.0, CRD 0.8, K = 16384,
# tau = 0.07, 128-d embeddings, momentum 0.5. The memory banks hold all
# 1,281,167 training images: 2 x 0.66 GB of buffers on each GPU and in every
# checkpoint. Teacher checkpoint: mmpretrain's resnet34_8xb32_in1k
# (configs/README.md).
_base_ = [
    '../../_base_/distillers/crd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_imagenet.pth',
    distill_losses=dict(loss_crd=dict(
        in_channels_S=512, in_channels_T=512,  # pre_logits widths
        num_data=1281167)))  # ImageNet-1k's training images
# each image with its index and K negatives (CRD's memory-bank rows)
train_dataloader = dict(dataset=dict(
    _delete_=True, **_base_.contrast_dataset,
    dataset=_base_.train_dataloader.dataset))
