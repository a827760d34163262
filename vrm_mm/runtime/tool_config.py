"""The command-line options and config reading shared by the tools.

``tools/train.py`` and ``tools/test.py`` take the same ``--work-dir``,
``--cfg-options``, ``--launcher`` and ``--local_rank`` options and read the
config the same way: load it, reject misspelt override and top-level keys,
merge the overrides.
"""
import argparse
import os.path as osp
import sys
from typing import Optional

from mmengine.config import Config, DictAction

from vrm_mm.runtime.cli import clear_errors
from vrm_mm.runtime.config_check import (
    check_override_keys,
    check_top_level_keys,
)
from vrm_mm.runtime.launch import set_local_rank_env
from vrm_mm.runtime.shared_variables import propagate_shared_variables


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local_rank``.
    """
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, key=value in xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torch.distributed.launch passes --local_rank, newer versions
    # --local-rank; torchrun passes neither (it sets LOCAL_RANK).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_common(parser: argparse.ArgumentParser,
                 argv=None) -> argparse.Namespace:
    """Parse ``argv`` and export the local rank for the launcher."""
    args = parser.parse_args(argv)
    set_local_rank_env(args.local_rank)
    return args


def read_config(path: str, cfg_options: Optional[dict]) -> Config:
    """Load ``path`` with ``--cfg-options`` merged; a missing file or a
    misspelt key exits with one clear line."""
    if not osp.isfile(path):
        sys.exit(f'vrm_mm: config file not found: {path}')
    with clear_errors('reading the config'):
        cfg = Config.fromfile(path)
        check_override_keys(cfg, cfg_options)
        if cfg_options is not None:
            cfg.merge_from_dict(cfg_options)
        # a top-level num_classes / data_root set once reaches every
        # consumer, also when a child config or --cfg-options sets it
        for change in propagate_shared_variables(cfg, cfg_options):
            print(f'vrm_mm: {change} (follows the top-level variable)')
        check_top_level_keys(cfg)
    return cfg


def set_work_dir(cfg: Config, config_path: str,
                 work_dir: Optional[str]) -> None:
    """``--work-dir``, else the config's, else ``work_dirs/<config name>``.
    """
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_dataloader_args(parser: argparse.ArgumentParser,
                        persistent_workers: bool = True) -> None:
    """Add mmpretrain's ``--no-pin-memory`` (and, for training,
    ``--no-persistent-workers``)."""
    parser.add_argument(
        '--no-pin-memory', action='store_true',
        help='set pin_memory=False on every dataloader of the config')
    if persistent_workers:
        parser.add_argument(
            '--no-persistent-workers', action='store_true',
            help='set persistent_workers=False on every dataloader of the '
            'config (workers restart each epoch)')


def set_dataloader_flags(cfg: Config, splits, args: argparse.Namespace
                         ) -> None:
    """``--no-pin-memory`` / ``--no-persistent-workers``: ``pin_memory`` /
    ``persistent_workers`` = False on the ``{split}_dataloader`` of each of
    ``splits`` the config has, as mmpretrain's tools. Unlike them, the
    flags' absence changes nothing (mmpretrain also defaults both to True).
    """
    flags = {}
    if getattr(args, 'no_pin_memory', False):
        flags['pin_memory'] = False
    if getattr(args, 'no_persistent_workers', False):
        flags['persistent_workers'] = False
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if loader:
            loader.update(flags)
