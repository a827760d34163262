# PKT, ResNet50 -> MobileNetV2 on CIFAR-100, 240 epochs. Teacher checkpoint:
# train configs/teachers/ce_resnet50_240e_cifar100.py, or convert the public
# one with tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/pkt.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_cifar100.pth')

# RepDistiller train_student.py lines 93-94: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
