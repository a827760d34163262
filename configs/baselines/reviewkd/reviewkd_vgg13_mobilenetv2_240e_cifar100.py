# ReviewKD, VGG13 -> MobileNetV2 on CIFAR-100, 240 epochs. Teacher checkpoint:
# train configs/teachers/ce_vgg13_240e_cifar100.py, or convert the public one
# with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/vgg13.py'),
    # the student's levels (stages, then the pooled feature), shallow to
    # deep, and the teacher's at the same levels: the released code's
    # settings for this pair (CIFAR-100/model/reviewkd.py)
    connectors=dict(abf=dict(
        in_channels=[12, 16, 48, 160, 1280],
        out_channels=[128, 256, 512, 512, 512],
        # the teacher's map sizes, where the student's are smaller
        out_shapes=[16, 8, 4, 4, 1],
        input=['student.feats.1', 'student.feats.2', 'student.feats.4',
               'student.feats.6', 'student.pre_logits'])),
    distill_losses=dict(loss_reviewkd=dict(
        # no published weight for this pair (the authors' script omits it):
        # mdistiller's default REVIEWKD_WEIGHT
        loss_weight=1.0,
        inputs=dict(feats_S='connectors.abf',
                    feats_T=['teacher.feats.1', 'teacher.feats.2',
                             'teacher.feats.3', 'teacher.feats.4',
                             'teacher.pre_logits']))),
    teacher_ckpt='work_dirs/teachers/vgg13_cifar100.pth')

# the recipe's lr for MobileNetV2 / ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
