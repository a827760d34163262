# The ImageNet recipe at batch 256: SGD lr 0.1, momentum 0.9, wd 1e-4, no
# nesterov, x0.1 at epochs 30/60/90, 100 epochs. Released as such by
# mdistiller for CRD and ReviewKD (configs/imagenet/r34_r18/crd.yaml and
# reviewkd.yaml lines 15-22), by the ReviewKD authors (ImageNet/
# imagenet_amp.py lines 46-62, 173: 4 GPUs x 64) and by CTKD (120 epochs,
# scripts/run_imagenet_distill.sh line 19-21). An experiment config
# inheriting this file sets 32 images per GPU (8 GPUs x 32 = 256):
#   train_dataloader = dict(batch_size=32)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
