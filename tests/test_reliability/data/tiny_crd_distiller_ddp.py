# The tiny CRD distiller set up so that 2 ranks x batch 2 train like 1
# process x batch 4 (see tiny_distiller_ddp.py): a GroupNorm student, no
# random augmentation; DefaultSampler gives the ranks' batches k together
# the single process's batch k, and the negatives, drawn from (seed, epoch,
# index), are the same whichever rank loads an image.
_base_ = ['./tiny_crd_distiller.py']

model = dict(student=dict(
    backbone=dict(norm_cfg=dict(type='GN', num_groups=2))))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
])))
train_cfg = dict(max_epochs=1)
