# KD (Hinton et al., 2015) with mdistiller's CIFAR-100 setting: CE 0.1,
# KD 0.9, T = 4. An experiment config inherits this file and sets the pair:
#   model = dict(student=dict(cfg_path=...), teacher=dict(cfg_path=...),
#                teacher_ckpt=...)
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
