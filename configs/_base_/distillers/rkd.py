# RKD (Park et al., CVPR 2019) as released: mdistiller
# (github.com/megvii-research/mdistiller, mdistiller/engine/cfg.py lines
# 73-82: CE 1.0, RKD 1.0, distance 25, angle 50, PDIST eps 1e-12, not
# squared; configs/cifar100/rkd.yaml) and RepDistiller
# (scripts/run_cifar_distill.sh line 17: `-a 0 -b 1`, RKDLoss(w_d=25,
# w_a=50)). Both read the pooled features (mdistiller's `pooled_feat`,
# RepDistiller's feat[-1]: the heads' inputs, our pre_logits; relations need
# no equal widths) and average over all B^2 distances / B^3 angles
# (average_over='all'; 'defined' averages over the defined ones only). An
# experiment config inherits this file and sets the pair (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_rkd=dict(
            type='RKDLoss', distance_weight=25.0, angle_weight=50.0,
            average_over='all', loss_weight=1.0,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
