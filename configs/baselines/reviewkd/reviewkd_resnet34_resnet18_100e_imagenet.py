# ReviewKD, ResNet34 -> ResNet18 on ImageNet, 100 epochs, batch 256 (reference
# 71.61 top-1, best epoch: the ReviewKD paper's ImageNet table, also
# ImageNet/README.md line 27): CE 1.0, HCL 1.0 over the four stages and the
# pooled feature, mid width 512 (ImageNet/models/reviewkd.py lines 76-78).
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
# Teacher: torchvision's ResNet34 (IMAGENET1K_V1, 73.31 top-1), the teacher
# of the published numbers. Download
# https://download.pytorch.org/models/resnet34-b627a593.pth and convert it:
#   python tools/convert_torchvision.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision_imagenet.pth --model resnet34
# (mmpretrain's ResNet34, 73.62: --cfg-options
# model.teacher_ckpt=work_dirs/teachers/resnet34_imagenet.pth;
# configs/README.md).
_base_ = [
    '../../_base_/distillers/reviewkd.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/imagenet_bs256_100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/resnet18.py'),
    teacher=dict(cfg_path='mmpretrain::_base_/models/resnet34.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    connectors=dict(abf=dict(
        in_channels=[64, 128, 256, 512, 512],
        out_channels=[64, 128, 256, 512, 512],
        mid_channels=512,
        input=['student.preact_feats.0', 'student.preact_feats.1', 'student.preact_feats.2',
               'student.preact_feats.3', 'student.pre_logits'])),
    distill_losses=dict(loss_reviewkd=dict(
        loss_weight=1.0,  # --review-kd-loss-weight 1.0 (README line 38)
        inputs=dict(feats_S='connectors.abf',
                    feats_T=['teacher.preact_feats.0', 'teacher.preact_feats.1',
                             'teacher.preact_feats.2', 'teacher.preact_feats.3',
                             'teacher.pre_logits']))))
train_dataloader = dict(batch_size=32)  # 8 GPUs x 32 = 256

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
