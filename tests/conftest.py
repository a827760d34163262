"""Shared fixtures: tiny data written on the fly, paths to the repo."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_image_folder(root: str, num_per_class: int = 8,
                       size: int = 32) -> str:
    """Write a 2-class grayscale image folder (train/ and val/) to ``root``.

    Class 0 images are dark, class 1 bright, with noise, so a tiny network can
    learn them in a couple of epochs.
    """
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        for label, level in ((0, 60), (1, 190)):
            folder = osp.join(root, split, f'class{label}')
            os.makedirs(folder, exist_ok=True)
            for i in range(num_per_class):
                pixels = rng.normal(level, 30, (size, size))
                image = np.clip(pixels, 0, 255).astype(np.uint8)
                Image.fromarray(image).save(osp.join(folder, f'{i}.png'))
    return root


@pytest.fixture
def tiny_folder(tmp_path) -> str:
    """A tiny 2-class image folder dataset (8 train + 8 val per class)."""
    return write_image_folder(str(tmp_path / 'tiny_folder'))


@pytest.fixture
def repo_root() -> str:
    return REPO_ROOT
