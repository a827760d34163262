# DKD (Zhao et al., CVPR 2022) with mdistiller's CIFAR-100 setting: CE 1.0,
# alpha 1, beta 8, T = 4, the DKD weight ramped up linearly over the first
# 20 epochs. An experiment config inherits this file and sets the pair (see
# kd.py).
# LSKD's variant (Sun et al., CVPR 2024; github.com/sunshangquan/
# logit-standardization-KD, tools/train.py lines 110-118, `--logit-stand
# --base-temp 2 --kd-weight 9`): loss_dkd=dict(logit_standardization=True,
# temperature=2.0, alpha and beta times 9), see
# configs/baselines/dkd/dkd_ls_resnet32x4_resnet8x4_240e_cifar100.py.
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
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
