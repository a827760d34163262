# The demo's schedule: 3 epochs of SGD 0.05 (batch 64) with cosine decay,
# validated after every epoch (a few minutes on 2 CPU cores with the demo's
# 10k-image training slice).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=3)
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
