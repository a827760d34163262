"""Adapt a training config to the machine it runs on.

Both fixes are no-ops on a machine with a GPU, so mmengine's CUDA paths
(NCCL, ``device_ids``, ``AmpOptimWrapper``) stay untouched there.
"""
import os
import subprocess
import warnings

import torch
import torch.distributed as dist
from mmengine.config import Config

from vrm_mm.models.wrappers import CPUCompatibleDDP


def _slurm_env() -> None:
    """Export torch's ``env://`` variables from Slurm's, as mmengine's
    ``_init_dist_slurm`` does (without its ``torch.cuda.set_device``):
    ``RANK`` = ``SLURM_PROCID``, ``WORLD_SIZE`` = ``SLURM_NTASKS``,
    ``LOCAL_RANK`` = ``SLURM_LOCALID``; ``MASTER_ADDR`` (unless set) the
    job's first host, ``MASTER_PORT`` (unless set) 29500."""
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        hosts = subprocess.run(
            ['scontrol', 'show', 'hostnames', os.environ['SLURM_NODELIST']],
            capture_output=True, text=True, check=True).stdout.split()
        os.environ['MASTER_ADDR'] = hosts[0]


def prepare_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Make ``torchrun`` and ``srun`` work on a machine without CUDA.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP
    wrapper passes ``device_ids``; both fail without a GPU. We initialise a
    gloo process group first (the Runner then skips its own ``init_dist``;
    under Slurm from ``SLURM_PROCID``/``SLURM_NTASKS``) and choose the
    wrapper that accepts CPU modules.
    """
    if launcher not in ('pytorch', 'slurm') or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        if launcher == 'slurm':
            _slurm_env()
        dist.init_process_group(backend='gloo')
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type', 'MMDistributedDataParallel') in (
            'MMDistributedDataParallel', CPUCompatibleDDP.__name__):
        wrapper['type'] = CPUCompatibleDDP.__name__
    cfg.model_wrapper_cfg = wrapper


def disable_amp_without_gpu(cfg: Config) -> None:
    """``AmpOptimWrapper`` asserts a GPU: warn and train in float32 instead."""
    optim_wrapper = cfg.get('optim_wrapper', {})
    if optim_wrapper.get('type') != 'AmpOptimWrapper':
        return
    if torch.cuda.is_available():
        return
    warnings.warn('AMP needs a GPU and none is available: training in float32 '
                  '(optim_wrapper type AmpOptimWrapper -> OptimWrapper).')
    optim_wrapper['type'] = 'OptimWrapper'
    for key in ('loss_scale', 'dtype', 'use_fsdp'):
        optim_wrapper.pop(key, None)


def set_local_rank_env(local_rank: int) -> None:
    """Export ``LOCAL_RANK`` for launchers that pass it as an argument."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def close_distributed() -> None:
    """Destroy the default process group, if one was started, once training
    is over: left to the interpreter's exit, gloo's threads can abort the
    process ("terminate called without an active exception", exit -6).

    The ranks first wait for each other: a rank that finishes early (rank 0
    still writes the last checkpoint) and closes its connections while a
    peer's gloo threads still use them can abort that peer the same way.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
