# PKT (Passalis & Tefas, ECCV 2018) with RepDistiller's CIFAR-100 setting
# (the one behind CRD's Tables 1-2): CE 1.0, PKT 30000 on the pooled
# features (the heads' inputs; the widths may differ). An experiment config
# inherits this file and sets the pair (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_pkt=dict(
            type='PKTLoss', eps=1e-7, loss_weight=30000.0,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
