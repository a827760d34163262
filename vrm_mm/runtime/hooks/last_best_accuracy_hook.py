"""Record both top-1 figures the distillation literature reports.

RepDistiller and CRD (KD, FitNet, AT, SP, PKT, RKD, CC, CRD) report the
last epoch's top-1, mdistiller (DKD), MLKD, CTKD and ReviewKD the best
epoch's (configs/README.md). This hook makes every run carry both, whatever
its checkpoint hook saves: after each validation it logs
``<metric>_best`` and ``<metric>_best_epoch`` beside ``<metric>`` (so they
reach the log line and ``vis_data/scalars.json``), and after training one
line ``top-1: last X (epoch E), best Y (epoch N)``. The best so far lives in
the message hub's runtime info, which checkpoints carry, so ``--resume``
continues the same record.
"""
from typing import Dict, Optional

from mmengine.hooks import Hook

from vrm_mm.registry import HOOKS

BEST_KEY = 'last_best_accuracy'


@HOOKS.register_module()
class LastBestAccuracyHook(Hook):
    """Log the last and the best value of ``metric`` (higher is better)."""

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook

    def __init__(self, metric: str = 'accuracy/top1') -> None:
        self.metric = metric

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics or self.metric not in metrics:
            return
        value = float(metrics[self.metric])
        epoch = runner.epoch
        hub = runner.message_hub
        record = dict(hub.get_info(BEST_KEY, None) or {})
        if not record or value > record['best']:
            record.update(best=value, best_epoch=epoch)
        record.update(last=value, last_epoch=epoch)
        hub.update_info(BEST_KEY, record)
        hub.update_scalar(f'val/{self.metric}_best', record['best'])
        hub.update_scalar(f'val/{self.metric}_best_epoch',
                          record['best_epoch'])

    def after_train(self, runner) -> None:
        record = runner.message_hub.get_info(BEST_KEY, None)
        if record:
            runner.logger.info(
                f'{self.metric}: last {record["last"]:.2f} (epoch '
                f'{record["last_epoch"]}), best {record["best"]:.2f} '
                f'(epoch {record["best_epoch"]})')
