# VRM with a timm teacher: timm's ResNet50 fine-tuned on CIFAR-100 at 224 px
# with timm's ImageNet statistics -> ResNet20 at 32 px with the CRD ones, 240
# epochs. Needs timm: `pip install -e .[timm]`.
#
# The teacher is mmpretrain's TimmClassifier, so any timm model name works
# (`model_name='convnext_tiny'`, or 'hf-hub:timm/<name>' for the Hugging
# Face Hub). pretrained=False: teacher_ckpt holds the fine-tuned weights
# (TimmClassifier's `model.*` keys, as tools/train.py saves them for a
# TimmClassifier config trained with pretrained=True).
#
# The student's views (CIFAR-100 mean/std, 32 px) reach the teacher
# re-normalised to the statistics it was trained with (teacher_norm) and
# resized to its resolution (teacher_input_size, bilinear).
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/cifar100_bs64_vrm.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/resnet20.py'),
    teacher=dict(
        type='TimmClassifier',
        model_name='resnet50',
        pretrained=False,
        num_classes=100),
    teacher_ckpt='work_dirs/teachers/timm_resnet50_cifar100.pth',
    # timm's IMAGENET_DEFAULT_MEAN / _STD on mmpretrain's 0-255 scale
    teacher_norm=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    teacher_input_size=(224, 224))
