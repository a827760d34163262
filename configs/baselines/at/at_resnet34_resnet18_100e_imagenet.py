# AT, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 512 as 8 GPUs x 64
# (reference 70.69 top-1: the AT row of the ReviewKD and DKD ImageNet tables),
# mdistiller's ImageNet setting (configs/imagenet/r34_r18/at.yaml with its
# defaults: CE 1.0, AT 1000, p = 2) on the four stages (`feats[1:]`, 56, 28,
# 14, 7 px in both networks). Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the
# teacher of the published numbers: download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's teacher: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth).
_base_ = [
    '../../_base_/distillers/at.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    distill_losses=dict(loss_at=dict(
        inputs=dict(feats_S=['student.feats.0', 'student.feats.1',
                             'student.feats.2', 'student.feats.3'],
                    feats_T=['teacher.feats.0', 'teacher.feats.1',
                             'teacher.feats.2', 'teacher.feats.3']))))
