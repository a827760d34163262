"""A small folder of images whose file names carry the label."""
import os
import re
from typing import List

import mmcv
import numpy as np
from mmpretrain.datasets import BaseDataset

from vrm_mm.registry import DATASETS

_IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')


@DATASETS.register_module()
class FilenameLabelledImages(BaseDataset):
    """Images named ``<prefix><anything>_<label>.<ext>``, decoded up front.

    Made for a handful of labelled test images such as the real CIFAR-100,
    Fashion-MNIST and ImageNet samples in the ``foolbox`` wheel's ``data``
    folder (``cifar100_03_51.png``: image 3, class 51). The images are
    decoded at construction into the arrays ``CIFAR100`` / ``FashionMNIST``
    give (RGB H x W x 3 or grey H x W uint8), so those datasets' test
    pipelines (just ``PackInputs``) apply unchanged.

    Example:
        >>> val_dataloader = dict(dataset=dict(
        ...     type='FilenameLabelledImages', data_root='path/to/data',
        ...     prefix='cifar100_', pipeline=[dict(type='PackInputs')]))

    Args:
        data_root: the folder that holds the images.
        prefix: the file name prefix selecting the images.
        color_type: ``'color'`` (RGB) or ``'grayscale'``.
        **kwargs: other arguments of mmpretrain's ``BaseDataset``
            (``pipeline``, ``metainfo``, ``test_mode``, ...).
    """

    def __init__(self,
                 data_root: str,
                 prefix: str = '',
                 color_type: str = 'color',
                 **kwargs) -> None:
        if color_type not in ('color', 'grayscale'):
            raise ValueError(
                "color_type must be 'color' or 'grayscale', got "
                f'{color_type!r}')
        self.prefix = prefix
        self.color_type = color_type
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Decode every matching image; the label is the last number."""
        pattern = re.compile(re.escape(self.prefix) + r'.*_(\d+)$')
        data_list = []
        for name in sorted(os.listdir(self.data_root)):
            stem, ext = os.path.splitext(name)
            match = pattern.match(stem)
            if match is None or ext.lower() not in _IMAGE_EXTENSIONS:
                continue
            path = os.path.join(self.data_root, name)
            img = mmcv.imread(path, flag=self.color_type, channel_order='rgb')
            data_list.append(
                dict(img=np.ascontiguousarray(img),
                     gt_label=int(match.group(1)),
                     img_path=path))
        if not data_list:
            raise FileNotFoundError(
                f'No image named {self.prefix}<...>_<label>.<ext> '
                f'({", ".join(_IMAGE_EXTENSIONS)}) in {self.data_root}.')
        return data_list
