"""What ``tools/train.py`` does between reading a config and training.

:func:`prepare_train_config` applies the command line and adds the
guarantees every run gets whatever its config says: exact ``--resume``
(only from this work_dir's own checkpoints, of this experiment), the
pre-flight checks, the preemption checkpoint, bad-sample handling, the
last/best accuracy report, CPU ranks over gloo. :func:`train` runs it with
one clear line for a user's mistake instead of a traceback.
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

from vrm_mm.registry import RUNNERS
from vrm_mm.utils.distributed import release_ddp
from vrm_mm.utils.errors import VrmMmError
from vrm_mm.utils.work_dir import checkpoint_dir_of

from .cli import clear_errors
from .default_hooks import drop_disabled_hooks
from .launch import (
    close_distributed,
    disable_amp_without_gpu,
    prepare_cpu_distributed,
)
from .resume import (
    add_resume_guards,
    find_resumable_checkpoint,
    make_resume_exact,
)
from .run_guards import add_run_guards
from .tool_config import set_dataloader_flags, set_work_dir


def prepare_train_config(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply ``tools/train.py``'s options and the run guarantees to
    ``cfg``."""
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

    set_dataloader_flags(cfg, ('train', 'val', 'test'), args)

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
    """The config's ``runner_type``, else mmengine's ``Runner``."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def run_train(cfg: Config) -> Runner:
    """Build the runner and train; a user's mistake exits with one line."""
    with clear_errors('building the model and runner'):
        runner = build_runner(cfg)
    # our own errors (a batch a loss cannot use, a NaN loss) and missing
    # data files; anything else is a bug and keeps its traceback
    with clear_errors('training', (FileNotFoundError, VrmMmError)):
        runner.train()
    release_ddp(runner)  # else the group outlives close_distributed
    close_distributed()
    return runner
