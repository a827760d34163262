# The tiny distiller set up so that 2 ranks x batch 2 train like 1 process
# x batch 4, up to float summation order:
# * the student normalises with GroupNorm: BatchNorm statistics would be
#   per rank (2 samples) under DDP (the frozen teacher's BN is in eval mode);
# * the two views are deterministic (the image, the inverted image): each
#   rank draws its own random augmentations, which no seeding can make
#   equal to the single process's. Views far apart also keep VRM's edge
#   directions well conditioned (close logits of a real and a virtual view
#   give unit vectors of near-zero differences, which amplify rounding);
# * DefaultSampler shuffles with the same seed on every rank and rank r
#   takes every 2nd index from r, so the ranks' batches k together hold the
#   single process's batch k;
# * KD and cross-entropy are per-sample means, which DDP's gradient
#   average turns into the global batch mean. The tests add VRM with
#   gather='all' (relation graphs over all ranks' samples).
# 5 classes (the data has 2) keep VRM's z-scored logit rows non-degenerate.
_base_ = ['./tiny_vrm_distiller.py']

model = dict(
    student=dict(
        backbone=dict(norm_cfg=dict(type='GN', num_groups=2)),
        head=dict(num_classes=5)),
    teacher=dict(head=dict(num_classes=5)),
    distill_losses=dict(
        _delete_=True,
        loss_kd=dict(
            type='KDLoss',
            temperature=4.0,
            loss_weight=0.5,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))),
    data_preprocessor=dict(num_classes=5))

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile', color_type='grayscale'),
        dict(type='MultiView', num_views=[1, 1],
             transforms=[[], [dict(type='Invert', prob=1.0)]]),
        dict(type='PackInputs'),
    ]))
train_cfg = dict(max_epochs=2)
