# CRD, ResNet50 -> MobileNetV2 on CIFAR-100, 240 epochs (reference 69.11: the CRD paper's
# Tables 1-2, also RepDistiller's README). Teacher checkpoint: train
# configs/teachers/ce_resnet50_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/crd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet50.py'),
    distill_losses=dict(loss_crd=dict(
        in_channels_S=1280, in_channels_T=2048)),  # pre_logits widths
    teacher_ckpt='work_dirs/teachers/resnet50_cifar100.pth')
# each image with its index and K negatives (CRD's memory-bank rows)
train_dataloader = dict(dataset=dict(
    _delete_=True, **_base_.contrast_dataset,
    dataset=_base_.train_dataloader.dataset))

# RepDistiller train_student.py lines 93-94: lr 0.01 for MobileNetV2 /
# ShuffleNet students
optim_wrapper = dict(optimizer=dict(lr=0.01))
