# mdistiller's ImageNet recipe (configs/imagenet/r34_r18/kd.yaml lines 15-22,
# the same in its dkd.yaml and at.yaml): batch 512 (8 GPUs x 64), SGD lr
# 0.2, momentum 0.9, wd 1e-4, no nesterov, x0.1 at epochs 30/60/90, 100
# epochs.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512)
