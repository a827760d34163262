# ReviewKD, ResNet32x4 -> ShuffleNetV1 on CIFAR-100, 240 epochs. Teacher
# checkpoint: train configs/teachers/ce_resnet32x4_240e_cifar100.py, or
# convert the public one with tools/convert_repdistiller.py
# (configs/README.md).
# Recipe: the authors' CIFAR-100 script, which made the paper's numbers
# (dvlab-research/ReviewKD, CIFAR-100/train.py): batch 128 (line 23), SGD
# momentum 0.9, nesterov, wd 5e-4 (lines 33, 178-179), lr 0.02 for ShuffleNet
# / MobileNet students (lines 168-169; 0.1 otherwise, line 27), 240 epochs
# (line 25), x0.1 after epochs 150, 180 and 210 (lines 29-31, 254;
# util/misc.py lines 55-60 cut the lr at the end of 0-based epoch 150, so
# epoch 151 is the first at 0.1x: milestones 151/181/211 here), the HCL
# weight min(1, epoch / 20) from 0 (line 225; the base file's warm-up hook),
# CE 1.0 and no KL term (lines 53-60), and CIFAR-10's mean/std for the input
# (lines 96-97). The authors distilled from their own teachers
# (script/baseline.sh: train.py with this recipe, best epoch), which are not
# public: ours are RepDistiller's (or ours, from configs/teachers/), trained
# on CRD's mean/std, so the teacher's input is re-normalised to those
# (teacher_norm).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/resnet32x4.py'),
    # the student's levels (stages, then the pooled feature), shallow to
    # deep, and the teacher's at the same levels: the released code's
    # settings for this pair (CIFAR-100/model/reviewkd.py lines 90-158)
    connectors=dict(abf=dict(
        in_channels=[240, 480, 960, 960],
        out_channels=[64, 128, 256, 256],
        # the teacher's map sizes, where the student's are smaller
        out_shapes=[32, 16, 8, 1])),
    distill_losses=dict(loss_reviewkd=dict(
        # --kd-loss-weight, script/reviewKD.sh line 9
        loss_weight=5.0)),
    # CRD's mean/std (configs/_base_/datasets/cifar100_bs64.py), which the
    # teacher was trained with
    teacher_norm=dict(
        mean=[0.5071 * 255, 0.4867 * 255, 0.4408 * 255],
        std=[0.2675 * 255, 0.2565 * 255, 0.2761 * 255]),
    teacher_ckpt='work_dirs/teachers/resnet32x4_cifar100.pth')

# CIFAR-10's mean/std, as train.py lines 96-97: [x / 255.0 for x in
# [125.3, 123.0, 113.9]] and [63.0, 62.1, 66.7], here on the 0-255 scale
data_preprocessor = dict(mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7])
train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=0.02, nesterov=True))
param_scheduler = dict(milestones=[151, 181, 211])
auto_scale_lr = dict(base_batch_size=128)
