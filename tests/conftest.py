"""Shared fixtures: tiny data written on the fly, paths to the repo."""
import ast
import gzip
import importlib.util
import os
import os.path as osp
import re
import struct

import mmengine.config.config as mmengine_config
import numpy as np
import pytest
import torch
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Tiny tensors: one thread is faster than two, and steadier on a busy CI.
torch.set_num_threads(1)


def parse_config_text(text: str, **kwargs) -> tuple:
    """yapf's ``FormatCode`` for mmengine's ``Config.pretty_text``, less
    the layout: the text must parse as Python, and is returned as is."""
    ast.parse(text)
    return text, False


# A Runner formats its config with yapf 7 times in a tiny run (the log, the
# dumped config, each checkpoint's meta): more than half of the run's time.
# The tests never read the layout (a dumped config is the same Python).
mmengine_config.FormatCode = parse_config_text


def load_tool(path: str):
    """``tools/<path>`` (e.g. ``'train.py'``, ``'analysis/tsne.py'``) as a
    module, to run its functions in this process."""
    name = 'vrm_mm_tool_' + re.sub(r'\W', '_', path[:-3])
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX: magic (0, 0, 0x08 = uint8, ndim), big-endian sizes, data."""
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fashion_mnist(folder: str, sizes: dict,
                        gzipped: bool = True) -> dict:
    """Write random Fashion-MNIST-format IDX files (``train``, ``t10k``).

    Returns ``{split: (images, labels)}``.
    """
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    content = {}
    for split, num in sizes.items():
        labels = (np.arange(num) * 3 + 1) % 10
        images = rng.integers(0, 256, (num, 28, 28)).astype(np.uint8)
        for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
            name = f'{split}-{kind}-ubyte'
            data = idx_bytes(array)
            opener, name = (gzip.open, name + '.gz') if gzipped else (open,
                                                                     name)
            with opener(os.path.join(folder, name), 'wb') as f:
                f.write(data)
        content[split] = (images, labels)
    return content


@pytest.fixture
def tiny_folder(tmp_path) -> str:
    """A tiny 2-class image folder dataset (8 train + 8 val per class)."""
    return write_image_folder(str(tmp_path / 'tiny_folder'))


@pytest.fixture
def repo_root() -> str:
    return REPO_ROOT


# A hard crash of pytest itself (a fatal signal in native code) ends with a
# long stack dump; `make test` prints this file's test id after it, so the
# last lines of a CI log name the test that crashed.
CURRENT_TEST_FILE = osp.join(REPO_ROOT, '.pytest_current_test')


def pytest_runtest_logstart(nodeid, location):
    with open(CURRENT_TEST_FILE, 'w') as f:
        f.write(nodeid + '\n')


def pytest_sessionfinish(session, exitstatus):
    if osp.exists(CURRENT_TEST_FILE):
        os.remove(CURRENT_TEST_FILE)
