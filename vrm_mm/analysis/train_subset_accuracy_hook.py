"""Top-1 accuracy on a fixed, un-augmented subset of the training set."""
from typing import List, Optional

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS

SCALAR = 'train_subset/top1'


@HOOKS.register_module()
class TrainSubsetAccuracyHook(Hook):
    """Evaluate the model on ``num_samples`` training samples every epoch.

    The samples are evenly spaced over the training set and go through the
    test pipeline (no augmentation), so train accuracy per epoch is
    comparable with validation accuracy: their gap is the overfitting
    measure of VRM's pilot study. The result is logged and written to the
    visualizer's scalars (``train_subset/top1``, step = epoch). It changes
    no weights, BatchNorm statistics or random state: a run trains the
    same with and without it.

    Example config::

        custom_hooks = [dict(type='TrainSubsetAccuracyHook',
                             num_samples=1000)]

    Args:
        num_samples: How many training samples (all if fewer). Defaults to
            1000.
        batch_size: Evaluation batch size. Defaults to 256.
        pipeline: The transforms applied to each sample; defaults to the
            config's ``test_dataloader`` (else ``val_dataloader``)
            pipeline.
    """

    priority = 'LOW'

    def __init__(self, num_samples: int = 1000, batch_size: int = 256,
                 pipeline: Optional[List[dict]] = None) -> None:
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError('TrainSubsetAccuracyHook: num_samples must be a '
                             f'positive integer, got {num_samples!r}.')
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.pipeline_cfg = pipeline
        self.history: List[float] = []

    def _pipeline(self, runner: Runner) -> Compose:
        if self.pipeline_cfg is not None:
            return Compose(self.pipeline_cfg)
        for name in ('test_dataloader', 'val_dataloader'):
            loader = runner.cfg.get(name)
            if loader and loader.get('dataset', {}).get('pipeline'):
                return Compose(loader['dataset']['pipeline'])
        raise ValueError(
            'TrainSubsetAccuracyHook: the config has no test or val '
            'pipeline to evaluate the training samples with; pass '
            "pipeline=[dict(type='PackInputs')] (or your test transforms).")

    def before_train(self, runner: Runner) -> None:
        dataset = runner.train_dataloader.dataset
        if not hasattr(dataset, 'get_data_info'):
            raise ValueError(
                'TrainSubsetAccuracyHook needs a training dataset with '
                f'get_data_info (mmengine BaseDataset); '
                f'{type(dataset).__name__} has none.')
        count = min(self.num_samples, len(dataset))
        self._indices = np.linspace(0, len(dataset) - 1, count).astype(int)
        self._dataset = dataset
        # built in the runner's default scope (mmpretrain's transforms)
        self._transforms = self._pipeline(runner)

    def after_train_epoch(self, runner: Runner) -> None:
        model = runner.model
        was_training = model.training
        model.eval()
        correct = 0
        try:
            with torch.no_grad():
                for start in range(0, len(self._indices), self.batch_size):
                    batch = pseudo_collate([
                        self._transforms(self._dataset.get_data_info(int(i)))
                        for i in self._indices[start:start +
                                               self.batch_size]
                    ])
                    for sample in model.test_step(batch):
                        correct += int(sample.pred_label.item() ==
                                       sample.gt_label.item())
        finally:
            model.train(was_training)
        top1 = 100.0 * correct / len(self._indices)
        self.history.append(top1)
        runner.visualizer.add_scalars({SCALAR: top1}, step=runner.epoch + 1)
        runner.logger.info(
            f'Epoch(train) [{runner.epoch + 1}] {SCALAR}: {top1:.2f} on '
            f'{len(self._indices)} un-augmented training samples')

