# Runtime shared by every vrm_mm config (mmpretrain's defaults, vrm_mm scope).
default_scope = 'vrm_mm'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the last 2 checkpoints and the best by validation top-1
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # augmentations from (seed, epoch, sample index): --resume is exact, also
    # mid-epoch (tools/train.py adds this hook to configs without it)
    epoch_seed=dict(type='EpochSeedHook'),
    # stop at a NaN/Inf loss before it reaches the weights; policy='skip'
    # skips such steps instead
    nan_guard=dict(type='NanGuardHook', policy='raise'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False

# A fixed seed makes CIFAR numbers reproducible; change it per run for
# mean +- std over seeds.
randomness = dict(seed=0, deterministic=False)
