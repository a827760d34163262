# FitNet, VGG13 -> VGG8 on CIFAR-100, 240 epochs (reference 71.02 top-1: CRD
# Table 1, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_vgg13_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/vgg13.py'),
    # RepDistiller's hint layer feat[2]: the student's 256 x 8 x 8 stage 2
    # regressed to the teacher's 256 x 8 x 8 stage 2
    connectors=dict(hint=dict(
        in_channels=256,
        out_channels=256,
        input='student.feats.2')),
    distill_losses=dict(loss_fitnet=dict(
        inputs=dict(feats_S='connectors.hint',
                    feats_T='teacher.feats.2'))),
    teacher_ckpt='work_dirs/teachers/vgg13_cifar100.pth')
