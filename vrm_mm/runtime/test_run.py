"""What ``tools/test.py`` does between reading a config and printing the
metrics: the checkpoint must fit the model exactly and the test set pass
the pre-flight, else one clear line and no number."""
import argparse
import json
from typing import Dict, Optional

import mmengine
from mmengine.config import Config
from mmengine.runner import Runner

from vrm_mm.utils.checkpoint_fit import check_checkpoint_fits, read_state_dict
from vrm_mm.utils.distributed import release_ddp
from vrm_mm.utils.errors import VrmMmError

from .cli import clear_errors
from .default_hooks import drop_disabled_hooks
from .launch import close_distributed, prepare_cpu_distributed
from .run_guards import add_preflight, check_paths
from .test_options import (
    add_prediction_dump,
    add_tta,
    enable_test_amp,
    enable_visualization,
)
from .tool_config import set_dataloader_flags, set_work_dir


def prepare_test_config(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply ``tools/test.py``'s options and the test guarantees to
    ``cfg``."""
    set_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    add_prediction_dump(cfg, args.out, args.out_item)
    if args.amp:
        enable_test_amp(cfg)
    enable_visualization(cfg, args.show_dir, args.show, args.interval,
                         args.wait_time)
    if args.tta:
        add_tta(cfg)
    set_dataloader_flags(cfg, ('test', ), args)
    cfg.launcher = args.launcher
    drop_disabled_hooks(cfg)
    add_preflight(cfg)  # an empty test set, labels beyond num_classes
    check_paths(cfg, ('test', ))
    prepare_cpu_distributed(cfg, args.launcher)
    return cfg


def read_checkpoint(checkpoint: str) -> dict:
    """The checkpoint's state dict; an unreadable file exits with one line
    (read before anything is built)."""
    with clear_errors('loading the checkpoint', (VrmMmError, )):
        return read_state_dict(checkpoint)


def run_test(cfg: Config, state_dict: dict, checkpoint: str,
             config_path: str,
             metrics_out: Optional[str] = None
             ) -> Optional[Dict[str, float]]:
    """Test ``checkpoint`` (whose ``state_dict`` :func:`read_checkpoint`
    gave; ``cfg.load_from`` names it); the metrics on rank 0 (printed as
    one JSON line and, given ``metrics_out``, ``--out-item metrics``,
    dumped there by ``mmengine.dump``), None on other ranks."""
    with clear_errors('building the model and runner'):
        runner = Runner.from_cfg(cfg)
    with clear_errors('loading the checkpoint', (VrmMmError, )):
        check_checkpoint_fits(runner.model, state_dict,
                              checkpoint, config_path)
    del state_dict
    with clear_errors('loading data or the checkpoint',
                      (FileNotFoundError, VrmMmError)):
        metrics = runner.test()
    result = None
    if runner.rank == 0:
        result = {k: float(v) for k, v in metrics.items()}
        print(json.dumps(result))
        if metrics_out is not None:
            mmengine.dump(result, metrics_out)
    release_ddp(runner)
    close_distributed()
    return result
