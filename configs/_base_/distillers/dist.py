# DIST (Huang et al., NeurIPS 2022) with the paper's CIFAR-100 setting:
# CE 1.0, beta = gamma = 2, tau = 4. An experiment config inherits this
# file and sets the pair (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=2.0, gamma=2.0, tau=4.0, loss_weight=1.0,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
