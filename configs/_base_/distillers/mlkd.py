# MLKD (Jin et al., CVPR 2023) with the released code's CIFAR-100 setting
# (github.com/Jin-Ying/Multi-Level-Logit-Distillation, KD_ours.py): CE 0.1
# on each view, 0.9 on every alignment term, temperatures 2-6, masks at the
# 50th percentile of the teacher's weak-view confidence. Needs a two-view
# dataset config (configs/_base_/datasets/*_vrm.py): MLKD's weak view is
# the real view, its strong view the RandAugment(2, 10) virtual view, so
# MLKD and VRM see the same images and teacher. An experiment config
# inherits this file and sets the pair (see kd.py).
#
# Left as in this project's recipe, not the released code's: the schedule
# (the code trains with lr 0.025 (0.01 for MobileNetV2 / ShuffleNet), and
# 480-960 epochs for some heterogeneous pairs).
#
# LSKD's variant (Sun et al., CVPR 2024): distill_losses=dict(loss_mlkd=dict(
# logit_standardization=True, loss_weight=9.0)), see
# configs/baselines/mlkd/mlkd_ls_resnet32x4_resnet8x4_240e_cifar100.py.
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_mlkd=dict(
            type='MLKDLoss',
            temperatures=(2.0, 3.0, 4.0, 5.0, 6.0),
            mask_percentile=50.0,
            strong_relations=False,  # the released code leaves them out
            logit_standardization=False,
            virtual_ce_weight=0.1,
            loss_weight=0.9,
            inputs=dict(s_weak='student.logits',
                        s_strong='student.logits_virtual',
                        t_weak='teacher.logits',
                        t_strong='teacher.logits_virtual',
                        gt_label='gt_label'))),
    student_loss_weight=0.1)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
