# AT, VGG13 -> MobileNetV2 on CIFAR-100, 240 epochs (reference 59.40 top-1: CRD
# Table 2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_vgg13_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/at.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/vgg13.py'),
    # RepDistiller's feat[1:-1]: the teacher's blocks 1-4 at 16, 8, 4, 4 px and
    # the student's blocks 1, 2, 4, 6, the last of each size, at 16, 8, 4, 2
    # px, paired in order; where a pair's sizes differ the larger map is
    # average-pooled to the smaller's, as in the released code (resize=True)
    distill_losses=dict(loss_at=dict(
        resize=True,
        inputs=dict(feats_S=['student.feats.1', 'student.feats.2',
                             'student.feats.4', 'student.feats.6'],
                    feats_T=['teacher.feats.1', 'teacher.feats.2',
                             'teacher.feats.3', 'teacher.feats.4']))),
    teacher_ckpt='work_dirs/teachers/vgg13_cifar100.pth')

# the recipe's lr for MobileNetV2 / ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
