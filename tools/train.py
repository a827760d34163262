"""Train a model (a distiller or a plain mmpretrain classifier) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--no-validate] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

from vrm_mm.registry import RUNNERS
from vrm_mm.utils.cli import clear_errors
from vrm_mm.utils.default_hooks import drop_disabled_hooks
from vrm_mm.utils.dist import release_ddp
from vrm_mm.utils.errors import VrmMmError
from vrm_mm.utils.launch import (
    close_distributed,
    disable_amp_without_gpu,
    prepare_cpu_distributed,
)
from vrm_mm.utils.resume import (
    add_resume_guards,
    find_resumable_checkpoint,
    make_resume_exact,
)
from vrm_mm.utils.run_guards import add_run_guards
from vrm_mm.utils.tool_config import (
    add_common_args,
    parse_common,
    read_config,
    set_work_dir,
)
from vrm_mm.utils.work_dir import checkpoint_dir_of


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    add_common_args(parser)
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
    return parse_common(parser, argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to the config."""
    set_work_dir(cfg, args.config, args.work_dir)

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    disable_amp_without_gpu(cfg)

    if args.resume == 'auto' or (args.resume is None and cfg.get('resume')
                                 and not cfg.get('load_from')):
        # newest checkpoint of this work_dir that loads (a corrupted latest
        # one is skipped); one named by another work_dir's records is not
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir,
                                                  checkpoint_dir_of(cfg))
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

    # exact resume whatever the config's hooks, unless it opts out
    not_exact = make_resume_exact(cfg)
    if cfg.get('resume') and not_exact:
        print(f'vrm_mm: --resume is not exact: {not_exact}.')

    cfg.launcher = args.launcher
    add_resume_guards(cfg)  # own work_dir and experiment only
    drop_disabled_hooks(cfg)
    add_run_guards(cfg)  # preemption checkpoint, unreadable samples
    prepare_cpu_distributed(cfg, args.launcher)
    return cfg


def build_runner(cfg: Config) -> Runner:
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    with clear_errors('applying the command-line options'):
        cfg = merge_args(cfg, args)
    with clear_errors('building the model and runner'):
        runner = build_runner(cfg)
    # our own errors (a batch a loss cannot use, a NaN loss) and missing
    # data files; anything else is a bug and keeps its traceback
    with clear_errors('training', (FileNotFoundError, VrmMmError)):
        runner.train()
    release_ddp(runner)  # else the group outlives close_distributed
    close_distributed()


if __name__ == '__main__':
    main()
