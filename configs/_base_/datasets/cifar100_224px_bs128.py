# CIFAR-100 for ViT students at 224 px (DeiT-Tiny from scratch, the VRM
# paper's ViT experiment): the recipe's RandomCrop 32 pad 4 + flip on the
# 32 px image, then a bicubic resize to 224; test images resized likewise.
# Batch 128. A CIFAR teacher in the same run sees the batch resized back to
# 32 px by the distiller (teacher_input_size=(32, 32)); bilinear sampling at
# the original pixel centres gives back the 32 px image (bicubic
# interpolation passes through its samples), up to uint8 rounding.
# Same variables and data layout as cifar100_bs64.py.
_base_ = './cifar100_bs64.py'

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
