# FitNet, VGG13 -> MobileNetV2 on CIFAR-100, 240 epochs (reference 64.14 top-1:
# CRD Table 2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_vgg13_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/fitnet.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/vgg13.py'),
    # RepDistiller's hint layer feat[2]: the student's 16 x 8 x 8 stage 2
    # regressed to the teacher's 256 x 8 x 8 stage 2
    connectors=dict(hint=dict(
        in_channels=16,
        out_channels=256,
        input='student.feats.2')),
    distill_losses=dict(loss_fitnet=dict(
        inputs=dict(feats_S='connectors.hint',
                    feats_T='teacher.feats.2'))),
    teacher_ckpt='work_dirs/teachers/vgg13_cifar100.pth')

# RepDistiller train_student.py lines 93-94: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
