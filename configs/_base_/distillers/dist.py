# DIST (Huang et al., NeurIPS 2022) with the released CIFAR-100 setting
# (github.com/hunto/image_classification_sota, the classification code of
# github.com/hunto/DIST_KD): configs/strategies/distill/dist_cifar.yaml has
# `ori_loss_weight: 1.`, `kd_loss_weight: 2.` and `kd: dist_t4`, which
# lib/models/losses/kd_loss.py lines 69-71 build as DIST(beta=1, gamma=1,
# tau=4): CE 1.0, DIST 2.0 with beta = gamma = 1, tau = 4 (the paper's
# beta = gamma = 2 at weight 1). An experiment config inherits this file and
# sets the pair (see kd.py).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, tau=4.0, loss_weight=2.0,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
