# ReviewKD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs
# x 64 (reference 71.61 top-1: the ReviewKD paper's ImageNet table, also
# ImageNet/README.md), the released ImageNet setting
# (ImageNet/models/reviewkd.py and README; mdistiller's
# configs/imagenet/r34_r18/reviewkd.yaml): CE 1.0, HCL 1.0 over the four
# stages and the pooled feature, mid width 512, a 1-epoch warm-up. Teacher
# checkpoint: mmpretrain's resnet34_8xb32_in1k (configs/README.md).
# Deviation: the released code reads the pre-activation stage outputs of both
# networks (before each stage's last ReLU); stage taps give the stage outputs.
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_imagenet.pth',
    connectors=dict(abf=dict(
        in_channels=[64, 128, 256, 512, 512],
        out_channels=[64, 128, 256, 512, 512],
        mid_channels=512,
        input=['student.feats.0', 'student.feats.1', 'student.feats.2',
               'student.feats.3', 'student.pre_logits'])),
    distill_losses=dict(loss_reviewkd=dict(
        loss_weight=1.0,
        inputs=dict(feats_S='connectors.abf',
                    feats_T=['teacher.feats.0', 'teacher.feats.1',
                             'teacher.feats.2', 'teacher.feats.3',
                             'teacher.pre_logits']))))

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='DistillLossWarmupHook', warmup=1, by_epoch=True,
         loss_names=['loss_reviewkd']),
]
