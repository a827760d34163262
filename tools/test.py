"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Prints the metrics as one JSON line at the end (e.g. accuracy/top1);
``--out`` also dumps per-sample predictions (a pickle, mmpretrain's
``DumpResults``).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.runner import Runner

from vrm_mm.utils.cli import clear_errors
from vrm_mm.utils.default_hooks import drop_disabled_hooks
from vrm_mm.utils.launch import prepare_cpu_distributed
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
    prepare_cpu_distributed(cfg, args.launcher)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    if not osp.isfile(args.checkpoint):
        sys.exit(f'vrm_mm: checkpoint file not found: {args.checkpoint}')
    with clear_errors('applying the command-line options'):
        cfg = merge_args(cfg, args)
    with clear_errors('building the model and runner'):
        runner = Runner.from_cfg(cfg)
    with clear_errors('loading data or the checkpoint', (FileNotFoundError, )):
        metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: float(v) for k, v in metrics.items()}))


if __name__ == '__main__':
    main()
