# ReviewKD (Chen et al., CVPR 2021) with the released CIFAR-100 code's
# setting (dvlab-research/ReviewKD, CIFAR-100/train.py; mdistiller's
# ReviewKD is the same): CE 1.0 plus the hierarchical context loss between
# the ABF review of the student's stages and the teacher's stages, each
# level with its pooled feature as the deepest, 1 x 1 level; the HCL weight
# ramped up linearly over the first 20 epochs (`--kd-warm-up 20`,
# mdistiller's WARMUP_EPOCHS). The ABF connector trains with the student.
# An experiment config inherits this file, sets the pair (see kd.py), the
# connector's in_channels / out_channels (and out_shapes where the
# student's maps are smaller than the teacher's), the stages read where
# they are not stages 0-2, and the pair's loss weight:
#   model = dict(connectors=dict(abf=dict(in_channels=[16, 32, 64, 64],
#                                         out_channels=[16, 32, 64, 64])),
#                distill_losses=dict(loss_reviewkd=dict(loss_weight=0.6)))
# Deviation: the released code compares with the teacher's pre-activation
# stage outputs (before the last ReLU); stage taps give the stage outputs.
model = dict(
    type='SingleTeacherDistiller',
    connectors=dict(
        abf=dict(type='ABFConnector',
                 input=['student.feats.0', 'student.feats.1',
                        'student.feats.2', 'student.pre_logits'])),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss', loss_weight=1.0,
            inputs=dict(feats_S='connectors.abf',
                        feats_T=['teacher.feats.0', 'teacher.feats.1',
                                 'teacher.feats.2', 'teacher.pre_logits']))),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='DistillLossWarmupHook', warmup=20, by_epoch=True,
         loss_names=['loss_reviewkd']),
]
