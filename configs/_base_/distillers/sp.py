# SP (Tung & Mori, ICCV 2019) with RepDistiller's CIFAR-100 setting (the
# one behind CRD's Tables 1-2): CE 1.0, SP 3000 on the last stage's feature
# map (only B x B similarities are compared, so the maps' channels and sizes
# may differ): RepDistiller's feat[-2] (helper/loops.py lines 144-146), the
# last stage's map, which for its WRNs is before the final BN + ReLU
# (models/wrn.py lines 110-112): the WRN configs read it as prenorm_feats.2.
# An experiment config inherits this file and sets the pair (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_sp=dict(
            type='SPLoss', loss_weight=3000.0,
            inputs=dict(feats_S='student.feats', feats_T='teacher.feats'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
