# ReviewKD, ResNet50 -> MobileNet-V1 on ImageNet, 100 epochs, batch 256
# (reference 72.56 top-1, best epoch: the ReviewKD paper's ImageNet table,
# also ImageNet/README.md line 28): CE 1.0, HCL 8.0 over four levels and the
# pooled feature, mid width 256 (ImageNet/models/reviewkd.py lines 81-83).
# MobileNet-V1's levels are the last layers at 56, 28, 14 and 7 px (3, 5,
# 11, 13), as the released MobileNet's features.
# The authors' ImageNet recipe (ImageNet/README.md lines 30-49; imagenet_amp.py
# lines 46-62, 173-178, 381, 539-554): 4 GPUs x 64 = batch 256, SGD lr 0.1
# (0.1 x 256 / 256), momentum 0.9, no nesterov, wd 1e-4, x0.1 at 30/60/90,
# 100 epochs, torchvision's teachers (--teacher-weight torchvision, line 88),
# and the HCL at full weight from the first step: no warm-up of the loss
# (mdistiller's reviewkd.yaml adds a 1-epoch one, WARMUP_EPOCHS line 29) nor
# of the lr (commented out, lines 542-548). Here 8 GPUs x 32 = 256; the
# authors' split is `bash tools/dist_train.sh CFG 4 --cfg-options
# train_dataloader.batch_size=64`.
# As the released code (ImageNet/models/reviewkd.py with its ResNet and
# MobileNet returning pre-ReLU features), both networks' stages are read
# before their last ReLU (`preact_feats`).
# Teacher: torchvision's ResNet50 (IMAGENET1K_V1, 76.13 top-1; the papers
# quote 76.16), the teacher of the published numbers. Download
# https://download.pytorch.org/models/resnet50-0676ba61.pth and convert it:
#   python tools/convert_torchvision.py resnet50-0676ba61.pth \
#       work_dirs/teachers/resnet50_torchvision_imagenet.pth --model resnet50
# (mmpretrain's ResNet50, 76.55: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet50_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs256_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/imagenet/mobilenet_v1.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/teachers/resnet50_torchvision_imagenet.pth',
    connectors=dict(abf=dict(
        in_channels=[128, 256, 512, 1024, 1024],
        out_channels=[256, 512, 1024, 2048, 2048],
        mid_channels=256,
        input=['student.preact_feats.3', 'student.preact_feats.5', 'student.preact_feats.11',
               'student.preact_feats.13', 'student.pre_logits'])),
    distill_losses=dict(loss_reviewkd=dict(
        loss_weight=8.0,  # --review-kd-loss-weight 8.0 (README line 48)
        inputs=dict(feats_S='connectors.abf',
                    feats_T=['teacher.preact_feats.0', 'teacher.preact_feats.1',
                             'teacher.preact_feats.2', 'teacher.preact_feats.3',
                             'teacher.pre_logits']))))
train_dataloader = dict(batch_size=32)  # 8 GPUs x 32 = 256

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
