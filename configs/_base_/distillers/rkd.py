# RKD (Park et al., CVPR 2019) with mdistiller's setting: CE 1.0, distance
# 25, angle 50, on the pooled features (the heads' inputs; relations need no
# equal widths). An experiment config inherits this file and sets the pair
# (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_rkd=dict(
            type='RKDLoss', distance_weight=25.0, angle_weight=50.0,
            loss_weight=1.0,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
