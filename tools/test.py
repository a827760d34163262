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

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from vrm_mm.utils.cli import clear_errors
from vrm_mm.utils.config_check import check_override_keys, check_top_level_keys
from vrm_mm.utils.default_hooks import drop_disabled_hooks
from vrm_mm.utils.launch import prepare_cpu_distributed, set_local_rank_env


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='dump per-sample predictions to this pickle file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, key=value in xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    set_local_rank_env(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0])
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
    for path, what in ((args.config, 'config'),
                       (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            sys.exit(f'vrm_mm: {what} file not found: {path}')
    with clear_errors('reading the config'):
        cfg = Config.fromfile(args.config)
        check_override_keys(cfg, args.cfg_options)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        check_top_level_keys(cfg)
        cfg = merge_args(cfg, args)
    with clear_errors('building the model and runner'):
        runner = Runner.from_cfg(cfg)
    with clear_errors('loading data or the checkpoint', (FileNotFoundError, )):
        metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: float(v) for k, v in metrics.items()}))


if __name__ == '__main__':
    main()
