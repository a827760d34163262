# KD (Hinton et al., 2015) with mdistiller's CIFAR-100 setting: CE 0.1,
# KD 0.9, T = 4. An experiment config inherits this file and sets the pair:
#   model = dict(student=dict(cfg_path=...), teacher=dict(cfg_path=...),
#                teacher_ckpt=...)
# LSKD's variant (Sun et al., CVPR 2024; github.com/sunshangquan/
# logit-standardization-KD, tools/train.py lines 102-114, `--logit-stand
# --base-temp 2 --kd-weight 9`): loss_kd=dict(logit_standardization=True,
# temperature=2.0, loss_weight=9.0), CE stays 0.1.
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_kd=dict(
            type='KDLoss', temperature=4.0, loss_weight=0.9,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    student_loss_weight=0.1)

# the teacher's validation accuracy, logged before training: a wrong or
# half-loaded teacher checkpoint shows at once
custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
