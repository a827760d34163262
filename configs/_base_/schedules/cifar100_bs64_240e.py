# The CRD / mdistiller CIFAR-100 recipe: SGD momentum 0.9, wd 5e-4, no
# nesterov, batch 64, lr 0.05 (0.01 for MobileNetV2 / ShuffleNet students,
# set in their configs), x0.1 at 150/180/210, 240 epochs (RepDistiller
# train_student.py lines 44-54, 93-94, 273-276; mdistiller
# configs/cifar100/*.yaml lines 10-17).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# lr 0.05 was tuned for one GPU at batch 64 (--auto-scale-lr rescales it).
auto_scale_lr = dict(base_batch_size=64)
