# CTKD (Li et al., AAAI 2023) with its public code's CIFAR-100 setting
# (github.com/zhengli97/CTKD, scripts/run_cifar_distill.sh): CE 0.1, KD 0.9,
# one global learnable temperature T = 1 + 20 sigmoid(t), t initialised to 1,
# trained with the student (same optimizer, lr and weight decay) through a
# gradient-reversal layer whose strength rises from 0 to 1 over the first 10
# epochs (cosine). An experiment config inherits this file and sets the pair
# (see kd.py).
#
# Instance-wise temperatures: temperature_module=dict(
#     type='InstanceTemperature', num_classes=100).
# LSKD's variant (Sun et al., CVPR 2024): logit_standardization=True,
# loss_weight=9.0, see ctkd_ls_resnet32x4_resnet8x4_240e_cifar100.py. In
# github.com/sunshangquan/logit-standardization-KD, CTKD/train_student.py
# line 314 picks DistillKL_logit_stand unless `--logit_stand` is given, so
# its CTKD script (CTKD/scripts/run_cifar_distill.sh: `-r 0.1 -a 9`, no
# flag) runs with standardisation; the temperature module reads the raw
# logits (CTKD/helper/loops.py line 133).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_ctkd=dict(
            type='CTKDLoss',
            temperature_module=dict(type='GlobalTemperature', init=1.0,
                                    t_start=1.0, t_range=20.0),
            loss_weight=0.9,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    student_loss_weight=0.1)

custom_hooks = [
    dict(type='TeacherEvalHook', mode='once'),
    # CTKD: --cosine_decay 1 --decay_max 0 --decay_min -1 --decay_loops 10
    dict(type='CTKDCurriculumHook', epochs=10, by_epoch=True),
]
