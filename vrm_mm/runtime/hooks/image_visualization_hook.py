"""mmpretrain's ``VisualizationHook`` for every batch ``tools/test.py``
tests: ``--show-dir``/``--show`` switch it on.

mmpretrain's hook draws ``data_batch['inputs'][i]`` as an ``H x W x C``
image. Two batches of ours break that: a ``--tta`` batch holds one batch
per augmentation (``[aug_0 batch, aug_1 batch, ...]``), and a grey image
(Fashion-MNIST, ``C = 1``) is an ``H x W x 1`` array matplotlib cannot
draw. This hook draws the first augmentation's images (the unaugmented one
under ``--tta``'s default flip) and grey images as three equal channels;
otherwise it is mmpretrain's hook (same arguments, same file names).
"""
from typing import Sequence

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmpretrain.engine.hooks import VisualizationHook
from mmpretrain.structures import DataSample

from vrm_mm.registry import HOOKS


def is_tta_model(model: torch.nn.Module) -> bool:
    """Is ``model`` (maybe DDP-wrapped) a test-time augmentation model?"""
    if is_model_wrapper(model):
        model = model.module
    return isinstance(model, BaseTTAModel)


def _drawable(image: torch.Tensor) -> torch.Tensor:
    """A ``C x H x W`` image with three channels if it has one."""
    return image.repeat(3, 1, 1) if image.shape[0] == 1 else image


@HOOKS.register_module()
class ImageVisualizationHook(VisualizationHook):
    """``VisualizationHook`` that also draws TTA batches and grey images.

    Args: those of mmpretrain's ``VisualizationHook`` (``enable``,
    ``interval``, ``show``, ``out_dir``, ``visualize_cls`` keywords).
    """

    tta = False

    def before_val(self, runner) -> None:
        self.tta = is_tta_model(runner.model)

    def before_test(self, runner) -> None:
        self.tta = is_tta_model(runner.model)

    def _draw_samples(self,
                      batch_idx: int,
                      data_batch: dict,
                      data_samples: Sequence[DataSample],
                      step: int = 0) -> None:
        if self.enable is False:
            return
        images = data_batch['inputs']
        if self.tta:  # one batch per augmentation: draw the first
            images = images[0]
        images = [_drawable(image) for image in images]
        super()._draw_samples(batch_idx, {**data_batch, 'inputs': images},
                              data_samples, step)
