# CTKD, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 512 as 8 GPUs
# x 64 (no CTKD reference found for this pair), CTKD's ImageNet script
# (scripts/run_imagenet_distill.sh, written for ResNet34 -> ResNet18): CE 1,
# KD 1, the curriculum over 5 epochs. Teacher checkpoint: mmpretrain's
# resnet50_8xb32_in1k (configs/README.md).
_base_ = [
    '../../_base_/distillers/ctkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_imagenet.pth',
    distill_losses=dict(loss_ctkd=dict(loss_weight=1.0)),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='CTKDCurriculumHook', epochs=5, by_epoch=True),
]
