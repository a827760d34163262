"""Train a model (a distiller or a plain mmpretrain classifier) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--no-validate] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from vrm_mm.registry import RUNNERS
from vrm_mm.utils.cli import clear_errors
from vrm_mm.utils.config_check import check_override_keys, check_top_level_keys
from vrm_mm.utils.default_hooks import drop_disabled_hooks
from vrm_mm.utils.errors import VrmMmError
from vrm_mm.utils.launch import (
    disable_amp_without_gpu,
    prepare_cpu_distributed,
    set_local_rank_env,
)
from vrm_mm.utils.resume import find_resumable_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT; without CKPT, from the latest checkpoint in '
        'the work_dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed-precision training (falls back to fp32 without a GPU)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the actual batch size / base_batch_size')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, key=value in xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torch.distributed.launch passes --local_rank, newer versions
    # --local-rank; torchrun passes neither (it sets LOCAL_RANK).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    set_local_rank_env(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to the config."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    disable_amp_without_gpu(cfg)

    if args.resume == 'auto':
        # newest checkpoint that loads; a corrupted latest one is skipped
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
        if cfg.load_from is None:
            print(f'vrm_mm: no checkpoint in {cfg.work_dir} to resume from; '
                  'training from the start.')
            cfg.resume = False
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    cfg.launcher = args.launcher
    drop_disabled_hooks(cfg)
    prepare_cpu_distributed(cfg, args.launcher)
    return cfg


def build_runner(cfg: Config) -> Runner:
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'vrm_mm: config file not found: {args.config}')
    with clear_errors('reading the config'):
        cfg = Config.fromfile(args.config)
        check_override_keys(cfg, args.cfg_options)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        check_top_level_keys(cfg)
        cfg = merge_args(cfg, args)
    with clear_errors('building the model and runner'):
        runner = build_runner(cfg)
    # our own errors (a batch a loss cannot use, a NaN loss) and missing
    # data files; anything else is a bug and keeps its traceback
    with clear_errors('training', (FileNotFoundError, VrmMmError)):
        runner.train()


if __name__ == '__main__':
    main()
