# AT, WRN-40-2 -> ShuffleNetV1 on CIFAR-100, 240 epochs (reference 73.32 top-1:
# CRD Table 2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_wrn_40_2_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/at.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/wrn_40_2.py'),
    # RepDistiller's feat[1:-1]: the teacher's three stages at 32, 16, 8 px and
    # the student's three stages at 16, 8, 4 px, paired in order; where a
    # pair's sizes differ the larger map is average-pooled to the smaller's, as
    # in the released code (resize=True). The WRN teacher's last stage is
    # before its final BN + ReLU there (models/wrn.py lines 110-112):
    # prenorm_feats.2 here
    distill_losses=dict(loss_at=dict(
        resize=True,
        inputs=dict(feats_S=['student.feats.0', 'student.feats.1',
                             'student.feats.2'],
                    feats_T=['teacher.feats.0', 'teacher.feats.1',
                             'teacher.prenorm_feats.2']))),
    teacher_ckpt='work_dirs/teachers/wrn_40_2_cifar100.pth')

# the recipe's lr for MobileNetV2 / ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
