# ReviewKD (Chen et al., CVPR 2021) as the released CIFAR-100 code computes
# it (dvlab-research/ReviewKD, CIFAR-100/train.py lines 220-233;
# mdistiller's mdistiller/distillers/ReviewKD.py lines 66-103 is the same):
# CE 1.0 plus the hierarchical context loss between the ABF review of the
# student's levels and the teacher's levels, each with its pooled feature as
# the deepest, 1 x 1 level; the HCL weight ramped up as
# min(1, epoch / 20) over the 0-based epoch (train.py line 225,
# `--kd-warm-up 20`): weight 0 in the first epoch. The ABF connector trains
# with the student.
# What each side reads (train.py lines 221-223, model/reviewkd.py lines
# 75-86): the student's stage outputs as its forward returns them
# (`is_feat=True`: post-ReLU for ResNet / ShuffleNet, the raw residual
# stream for WRN, so a WRN student reads prenorm_feats.2, its last stage
# before the final BN + ReLU) and its pooled feature; the teacher's
# pre-activation stage outputs (`is_feat=True, preact=True`, then
# `t_features[1:]`: stages 1-3, the stem dropped) and its pooled feature,
# which is pooled after the ReLU in every network (resnet_cifar.py lines
# 192-199, wide_resnet_cifar.py lines 114-124), i.e. teacher.pre_logits.
# An experiment config inherits this file, sets the pair (see kd.py), the
# connector's in_channels / out_channels (and out_shapes where the
# student's maps are smaller than the teacher's), the levels read where
# they are not stages 0-2, the pair's loss weight and the recipe of the
# authors' script (see reviewkd_resnet56_resnet20_240e_cifar100.py):
#   model = dict(connectors=dict(abf=dict(in_channels=[16, 32, 64, 64],
#                                         out_channels=[16, 32, 64, 64])),
#                distill_losses=dict(loss_reviewkd=dict(loss_weight=0.6)))
# Deviation: the released script never puts the teacher in eval mode
# (train.py has no teacher.eval()), so its teacher's BatchNorms use each
# batch's statistics; ours runs in eval mode, as mdistiller's.
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
                        feats_T=['teacher.preact_feats.0',
                                 'teacher.preact_feats.1',
                                 'teacher.preact_feats.2',
                                 'teacher.pre_logits']))),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    # count_from=0: min(1, epoch / 20) with the 0-based epoch (train.py
    # line 225); mdistiller's (epochs from 1) would be count_from=1
    dict(type='DistillLossWarmupHook', warmup=20, by_epoch=True,
         loss_names=['loss_reviewkd'], count_from=0),
]
