"""A ClsDataPreprocessor that also accepts several views per image."""
from typing import Callable, List, Optional, Tuple, Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from vrm_mm.registry import MODELS


class _SameDrawForAllViews:
    """Apply one batch augmentation draw to every view of a batch.

    The views (stacked along the batch as V*B images) are folded into the
    channels (B x V*C x H x W), so Mixup / CutMix pick one permutation, one
    lambda and one box for all views, which keeps each image's views sharing
    the (mixed) label.
    """

    def __init__(self, augment: Callable) -> None:
        self.augment = augment

    def __call__(self, inputs: torch.Tensor,
                 scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        batch = scores.size(0)
        num_views = inputs.size(0) // batch
        if num_views == 1:
            return self.augment(inputs, scores)
        _, channels, height, width = inputs.shape
        folded = inputs.view(num_views, batch, channels, height, width)
        folded = folded.transpose(0, 1).reshape(batch, -1, height, width)
        mixed, scores = self.augment(folded, scores)
        mixed = mixed.view(batch, num_views, channels, height, width)
        mixed = mixed.transpose(0, 1).reshape(-1, channels, height, width)
        return mixed, scores


def _split_views(inputs) -> Optional[List]:
    """The views of a collated batch, or None for a single-view batch.

    ``default_collate`` gives a Tensor (one view) or a list of B x C x H x W
    Tensors (one per view); ``pseudo_collate`` gives a list of C x H x W
    Tensors (one view) or a list of per-view sequences of them.
    """
    if isinstance(inputs, torch.Tensor):
        return None
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError(
            'data["inputs"] must be a Tensor or a non-empty list, got '
            f'{type(inputs).__name__}: pack images with PackInputs.')
    first = inputs[0]
    if isinstance(first, torch.Tensor) and first.dim() == 3:
        return None
    if isinstance(first, (list, tuple)) or (isinstance(
            first, torch.Tensor) and first.dim() == 4):
        return list(inputs)
    raise TypeError(
        'Cannot read the views of data["inputs"]: expected a list of '
        'C x H x W Tensors, of B x C x H x W Tensors or of lists, got a '
        f'list of {type(first).__name__}.')


def _join_views(views: List) -> Union[torch.Tensor, List[torch.Tensor]]:
    """Stack the views along the batch: view 0's B images, then view 1's."""
    sizes = {len(view) for view in views}
    if len(sizes) != 1:
        raise ValueError(
            f'Every view needs the same batch size, got {sorted(sizes)}.')
    if isinstance(views[0], torch.Tensor):
        shapes = {tuple(view.shape[1:]) for view in views}
        if len(shapes) != 1:
            raise ValueError(
                f'The views have different image shapes {sorted(shapes)}: '
                'crop them to one size, or use pseudo_collate so that the '
                'data preprocessor pads them.')
        return torch.cat(views)
    return [img for view in views for img in view]


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` for batches of one or several views.

    A single-view batch is processed exactly as by ``ClsDataPreprocessor``
    and ``inputs`` stays a B x C x H x W Tensor. A multi-view batch (from
    ``RealVirtualViews`` + ``PackInputs``) gives ``inputs`` as a list of
    B x C x H x W float Tensors, one per view in pipeline order
    (``[real, virtual]``), each converted, normalised and padded like the
    single view; batch augmentations draw once for all views. Labels stay
    in ``data_samples``, one per image.

    Example:
        >>> data_preprocessor = dict(
        ...     type='MultiViewClsDataPreprocessor', num_classes=100,
        ...     mean=[129.3105, 124.1085, 112.404],
        ...     std=[68.2125, 65.4075, 70.4055], to_rgb=False)

    Args:
        **kwargs: the arguments of ``ClsDataPreprocessor`` (``mean``,
            ``std`` on the 0-255 scale, ``pad_size_divisor``, ``pad_value``,
            ``to_rgb``, ``to_onehot``, ``num_classes``, ``batch_augments``).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.batch_augments is not None:
            self.batch_augments = _SameDrawForAllViews(self.batch_augments)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Convert, normalise and pad each view; pack the labels.

        Args:
            data: a collated batch with ``inputs`` and ``data_samples``.
            training: whether batch augmentations apply.

        Returns:
            dict: ``inputs`` (a Tensor, or a list with one Tensor per view)
            and ``data_samples``.
        """
        views = _split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        joined = dict(data, inputs=_join_views(views))
        out = super().forward(joined, training)
        out['inputs'] = list(out['inputs'].chunk(len(views)))
        return out
