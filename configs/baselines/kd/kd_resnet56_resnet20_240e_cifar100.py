# KD (Hinton et al., 2015), ResNet56 -> ResNet20 on CIFAR-100, 240 epochs,
# mdistiller's weights: CE 0.1, KD 0.9, T = 4 (reference 70.66 top-1).
# The DKD, DIST and RKD configs of this pair inherit from this one.
#
# Teacher checkpoint: train ResNet56 with a config in configs/teachers/, or
# convert the public RepDistiller / mdistiller one (cifar_teachers.tar):
#   python tools/convert_repdistiller.py \
#       cifar_teachers/resnet56_vanilla/ckpt_epoch_240.pth \
#       work_dirs/teachers/resnet56_cifar100.pth --model resnet56
_base_ = [
    '../../_base_/models/cifar100/resnet20.py',  # the student
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='SingleTeacherDistiller',
    student={{_base_.model}},
    # configs/_base_/models/cifar100/resnet56.py (mmengine merges only one
    # `model` from the bases, so the teacher is spelled out)
    teacher=dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=56),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=64,
                  init_cfg=None,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth',
    distill_losses=dict(
        loss_kd=dict(
            type='KDLoss', temperature=4.0, loss_weight=0.9,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    student_loss_weight=0.1)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
