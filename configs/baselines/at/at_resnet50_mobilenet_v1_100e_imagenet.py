# AT, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 512 as 8 GPUs x
# 64 (reference 69.56 top-1: the AT row of the ReviewKD and DKD ImageNet
# tables), mdistiller's ImageNet weights (configs/imagenet/r50_mv1/at.yaml with
# its defaults: CE 1.0, AT 1000, p = 2). The four teacher stages (56, 28, 14,
# 7 px) are paired with MobileNet-V1's last layer at each size (3, 5, 11, 13),
# so every pair has equal sizes. Deviation: mdistiller zips the teacher's four
# stages with the student's last three levels (`feats[1:]` of lists of five
# and four), pairing 56 with 28 px, 28 with 14 and 14 with 7 and pooling the
# teacher's maps down. Teacher: torchvision's ResNet50 (IMAGENET1K_V1, 76.13 top-1), the
# teacher of the published numbers: download
# https://download.pytorch.org/models/resnet50-0676ba61.pth and convert it:
#   python tools/convert_torchvision.py resnet50-0676ba61.pth \
#       work_dirs/teachers/resnet50_torchvision_imagenet.pth --model resnet50
# (mmpretrain's teacher: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet50_imagenet.pth).
_base_ = [
    '../../_base_/distillers/at.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs512_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_torchvision_imagenet.pth',
    distill_losses=dict(loss_at=dict(
        inputs=dict(feats_S=['student.feats.3', 'student.feats.5',
                             'student.feats.11', 'student.feats.13'],
                    feats_T=['teacher.feats.0', 'teacher.feats.1',
                             'teacher.feats.2', 'teacher.feats.3']))))
