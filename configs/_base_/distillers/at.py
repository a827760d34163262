# AT (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017)
# with RepDistiller's CIFAR-100 setting, the one behind CRD's Tables 1-2
# (scripts/run_cifar_distill.sh `--distill attention -a 0 -b 1000`;
# mdistiller's AT is the same: CE 1.0, FEAT 1000, P 2): CE 1.0 plus 1000 x
# the attention-map loss summed over the stage outputs after the stem,
# RepDistiller's `feat[1:-1]` (here stages 0-2 of the CIFAR ResNets / WRNs;
# VGG, MobileNetV2 and ShuffleNet configs list theirs). The released code
# average-pools the larger map of a pair to the smaller's size where the
# networks' sizes differ: those configs set `resize=True`. An experiment
# config inherits this file and sets the pair (see kd.py), and the stages
# where they are not 0-2.
# RepDistiller's WRNs give their last stage before the final BN + ReLU
# (models/wrn.py lines 110-112, 122): the WRN configs read it as
# prenorm_feats.2 (CIFARWideResNet's feats.2 is after them).
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_at=dict(
            type='ATLoss', loss_weight=1000.0, p=2.0,
            inputs=dict(feats_S=['student.feats.0', 'student.feats.1',
                                 'student.feats.2'],
                        feats_T=['teacher.feats.0', 'teacher.feats.1',
                                 'teacher.feats.2']))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
