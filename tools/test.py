"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Prints the metrics as one JSON line at the end (e.g. accuracy/top1);
``--out`` also dumps per-sample predictions (a pickle, mmpretrain's
``DumpResults``). The checkpoint must fit the config's model exactly (no
missing, unexpected or reshaped weights), else the run stops with one line
naming the pairing that fits, and no metric is printed; the test set is
checked first (``PreflightHook``).
"""
import argparse
import json

from mmengine.config import Config
from mmengine.runner import Runner

from vrm_mm.utils.checkpoint_fit import check_checkpoint_fits, read_state_dict
from vrm_mm.utils.cli import clear_errors
from vrm_mm.utils.default_hooks import drop_disabled_hooks
from vrm_mm.utils.dist import release_ddp
from vrm_mm.utils.errors import VrmMmError
from vrm_mm.utils.launch import close_distributed, prepare_cpu_distributed
from vrm_mm.utils.run_guards import add_preflight, check_paths
from vrm_mm.utils.tool_config import (
    add_common_args,
    parse_common,
    read_config,
    set_work_dir,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump per-sample predictions to this pickle file')
    add_common_args(parser)
    return parse_common(parser, argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to the config."""
    set_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.out is not None:
        dump = dict(type='DumpResults', out_file_path=args.out)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = [*evaluator, dump] if isinstance(
            evaluator, (list, tuple)) else [evaluator, dump]
    cfg.launcher = args.launcher
    drop_disabled_hooks(cfg)
    add_preflight(cfg)  # an empty test set, labels beyond num_classes
    check_paths(cfg, ('test', ))
    prepare_cpu_distributed(cfg, args.launcher)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    with clear_errors('loading the checkpoint', (VrmMmError, )):
        state_dict = read_state_dict(args.checkpoint)
    with clear_errors('applying the command-line options'):
        cfg = merge_args(cfg, args)
    with clear_errors('building the model and runner'):
        runner = Runner.from_cfg(cfg)
    with clear_errors('loading the checkpoint', (VrmMmError, )):
        check_checkpoint_fits(runner.model, state_dict, args.checkpoint,
                              args.config)
    del state_dict
    with clear_errors('loading data or the checkpoint',
                      (FileNotFoundError, VrmMmError)):
        metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: float(v) for k, v in metrics.items()}))
    release_ddp(runner)
    close_distributed()


if __name__ == '__main__':
    main()
