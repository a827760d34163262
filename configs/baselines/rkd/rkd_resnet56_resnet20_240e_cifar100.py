# RKD (Park et al., CVPR 2019), ResNet56 -> ResNet20 on CIFAR-100, 240
# epochs, mdistiller's setting: CE 1.0, distance 25, angle 50 on the pooled
# features (the heads' inputs, 64-d for both networks).
#
# Student, teacher and teacher checkpoint: as in the KD config.
_base_ = '../kd/kd_resnet56_resnet20_240e_cifar100.py'

model = dict(
    distill_losses=dict(
        _delete_=True,
        loss_rkd=dict(
            type='RKDLoss', distance_weight=25.0, angle_weight=50.0,
            loss_weight=1.0,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits'))),
    student_loss_weight=1.0)
