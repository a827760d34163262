# VRM ablation: no virtual view. One (real) view per image; the graphs are
# built over the real nodes only (the "virtual" slots take the real logits,
# so the cross block becomes the real-by-real inter-sample block).
_base_ = [
    '../../_base_/distillers/vrm.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet56.py'),
    teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth',
    distill_losses=dict(loss_vrm=dict(inputs=dict(
        s_virtual='student.logits', t_virtual='teacher.logits'))))
