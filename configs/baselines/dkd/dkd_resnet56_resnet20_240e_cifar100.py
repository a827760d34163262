# DKD (Zhao et al., CVPR 2022), ResNet56 -> ResNet20 on CIFAR-100, 240
# epochs, mdistiller's setting: CE 1.0, alpha 1, beta 8, T = 4, the DKD
# weight ramped up linearly over the first 20 epochs (reference 71.97).
#
# Student, teacher and teacher checkpoint: as in the KD config.
_base_ = '../kd/kd_resnet56_resnet20_240e_cifar100.py'

model = dict(
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,
            loss_weight=1.0,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits',
                        gt_label='gt_label'))),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    dict(type='DistillLossWarmupHook', warmup=20, by_epoch=True,
         loss_names=['loss_dkd']),
]
