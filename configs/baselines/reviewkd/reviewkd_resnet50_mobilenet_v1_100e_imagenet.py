# ReviewKD, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 512 as 8
# GPUs x 64 (reference 72.56 top-1: the ReviewKD paper's ImageNet table, also
# ImageNet/README.md), the released ImageNet setting
# (ImageNet/models/reviewkd.py and README; mdistiller's
# configs/imagenet/r50_mv1/reviewkd.yaml): CE 1.0, HCL 8.0 over four stages
# and the pooled feature, mid width 256, a 1-epoch warm-up. MobileNet-V1's
# levels are the last layers at 56, 28, 14 and 7 px (3, 5, 11, 13), as the
# released MobileNet's features. Teacher checkpoint: mmpretrain's
# resnet50_8xb32_in1k (configs/README.md).
# Deviation: the released code reads the pre-activation outputs of both
# networks (before the last ReLU); stage taps give the stage outputs.
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_imagenet.pth',
    connectors=dict(abf=dict(
        in_channels=[128, 256, 512, 1024, 1024],
        out_channels=[256, 512, 1024, 2048, 2048],
        mid_channels=256,
        input=['student.feats.3', 'student.feats.5', 'student.feats.11',
               'student.feats.13', 'student.pre_logits'])),
    distill_losses=dict(loss_reviewkd=dict(
        loss_weight=8.0,
        inputs=dict(feats_S='connectors.abf',
                    feats_T=['teacher.feats.0', 'teacher.feats.1',
                             'teacher.feats.2', 'teacher.feats.3',
                             'teacher.pre_logits']))))

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='DistillLossWarmupHook', warmup=1, by_epoch=True,
         loss_names=['loss_reviewkd']),
]
