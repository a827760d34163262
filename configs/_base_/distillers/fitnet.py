# FitNet (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015) with
# RepDistiller's CIFAR-100 setting, the one behind CRD's Tables 1-2
# (scripts/run_cifar_distill.sh `--distill hint -a 0 -b 100`; mdistiller's
# FITNET is the same: CE 1.0, FEAT 100, HINT_LAYER 2): CE 1.0 plus 100 x the
# mean squared error between the regressed student hint and the teacher's
# hint layer, RepDistiller's `feat[2]`, the second of three stages (our
# `feats.1`; VGG and MobileNetV2 number their stages differently, see their
# configs). The regressor (RepDistiller's ConvReg) is a ConvBNReLUConnector
# trained with the student; in_size / out_size resize where the two maps
# differ. An experiment config inherits this file, sets the pair (see kd.py)
# and the regressor's channels:
#   model = dict(connectors=dict(hint=dict(in_channels=32, out_channels=64)))
# Deviation: the paper trains in two stages (hint pre-training, then KD);
# RepDistiller and mdistiller train hint + CE jointly, and so does this.
model = dict(
    type='SingleTeacherDistiller',
    connectors=dict(
        hint=dict(type='ConvBNReLUConnector', input='student.feats.1')),
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss', loss_weight=100.0,
            inputs=dict(feats_S='connectors.hint',
                        feats_T='teacher.feats.1'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
