# CTKD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (reference 71.32 top-1, CTKD's README, ImageNet table), CTKD's ImageNet
# script (scripts/run_imagenet_distill.sh): CE 1, KD 1, the curriculum over
# 5 epochs (it trains 120 epochs; we keep this project's 100-epoch
# schedule). Teacher checkpoint: mmpretrain's resnet34_8xb32_in1k
# (configs/README.md).
_base_ = [
    '../../_base_/distillers/ctkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_imagenet.pth',
    distill_losses=dict(loss_ctkd=dict(loss_weight=1.0)),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='CTKDCurriculumHook', epochs=5, by_epoch=True),
]
