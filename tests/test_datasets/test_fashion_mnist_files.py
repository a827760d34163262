"""prepare_fashion_mnist on gzipped IDX fixtures (the Debian package's
format), and the Fashion-MNIST dataset configs on the prepared files."""
import gzip
import os

import numpy as np
import pytest
import torch
from conftest import idx_bytes as _idx_bytes
from conftest import write_fashion_mnist
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from vrm_mm.datasets import fashion_mnist_files, prepare_fashion_mnist
from vrm_mm.registry import DATASETS, MODELS

SIZES = {'train': 10, 't10k': 4}


def _write_fashion_mnist(folder, gzipped=True, sizes=SIZES):
    return write_fashion_mnist(folder, sizes, gzipped)


@pytest.fixture
def prepared(tmp_path):
    content = _write_fashion_mnist(str(tmp_path / 'debian'))
    dst = str(tmp_path / 'fashion_mnist')
    written = prepare_fashion_mnist(str(tmp_path / 'debian'), dst)
    return dst, content, written


def test_gunzips_into_the_names_mmpretrain_reads(prepared):
    dst, content, written = prepared
    assert sorted(os.path.basename(p) for p in written) == [
        't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte',
        'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']
    with open(os.path.join(dst, 't10k-images-idx3-ubyte'), 'rb') as f:
        assert f.read() == _idx_bytes(content['t10k'][0])


def test_raw_sources_are_copied(tmp_path):
    _write_fashion_mnist(str(tmp_path / 'raw'), gzipped=False)
    written = prepare_fashion_mnist(str(tmp_path / 'raw'), str(tmp_path / 'd'))
    assert all(os.path.getsize(p) > 0 for p in written)


def test_missing_file_names_the_package(tmp_path):
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        prepare_fashion_mnist(str(tmp_path / 'empty'), str(tmp_path / 'd'))


def test_mismatched_counts_are_reported(tmp_path):
    src = str(tmp_path / 'src')
    _write_fashion_mnist(src)
    with gzip.open(os.path.join(src, 't10k-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(_idx_bytes(np.zeros(3, dtype=np.uint8)))
    with pytest.raises(ValueError, match='4 images but 3 labels'):
        prepare_fashion_mnist(src, str(tmp_path / 'd'))


def test_swapped_files_are_reported(tmp_path):
    src = str(tmp_path / 'src')
    _write_fashion_mnist(src)
    os.replace(os.path.join(src, 'train-labels-idx1-ubyte.gz'),
               os.path.join(src, 'train-images-idx3-ubyte.gz'))
    with pytest.raises(ValueError, match='not an IDX file'):
        prepare_fashion_mnist(src, str(tmp_path / 'd'))


def _config(repo_root, name):
    return Config.fromfile(
        os.path.join(repo_root, f'configs/_base_/datasets/{name}.py'))


@pytest.mark.parametrize('loader,split', [('train_dataloader', 'train'),
                                          ('val_dataloader', 't10k')])
def test_config_datasets_read_the_right_split(prepared, repo_root, loader,
                                              split):
    dst, content, _ = prepared
    dataset_cfg = _config(repo_root, 'fashion_mnist_bs64')[loader].dataset
    dataset_cfg.update(data_root=dst, pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    images, labels = content[split]
    assert len(dataset) == len(labels)
    info = dataset.get_data_info(1)
    np.testing.assert_array_equal(info['img'], images[1])
    assert int(info['gt_label']) == labels[1]


def test_mmpretrain_split_alone_does_not_select_the_test_files(prepared):
    # why the val config sets test_mode=True (mmpretrain 1.2.0 behaviour)
    dataset = DATASETS.build(dict(type='FashionMNIST', data_root=prepared[0],
                                  split='test', download=False))
    assert len(dataset) == SIZES['train']


def test_vrm_config_yields_one_channel_views(prepared, repo_root):
    cfg = _config(repo_root, 'fashion_mnist_bs64_vrm')
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=4)
    loader_cfg.dataset.update(data_root=prepared[0])
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        preprocessor = MODELS.build(cfg.data_preprocessor)
    raw = next(iter(loader))
    real, virtual = preprocessor(raw, training=True)['inputs']
    assert real.shape == virtual.shape == (4, 1, 28, 28)
    torch.testing.assert_close(
        real, (raw['inputs'][0].float() - 0.2860 * 255) / (0.3530 * 255))
    assert not torch.equal(real, virtual)


def test_ensure_keeps_prepared_files(prepared):
    dst, _, written = prepared
    before = [os.path.getmtime(path) for path in written]
    lines = []
    fashion_mnist_files.ensure_fashion_mnist(dst, debian_dir='/nonexistent',
                                             log=lines.append)
    assert [os.path.getmtime(path) for path in written] == before
    assert lines == [f'Fashion-MNIST found in {dst}']


def test_ensure_prepares_from_the_debian_folder(tmp_path):
    content = _write_fashion_mnist(str(tmp_path / 'debian'))
    dst = str(tmp_path / 'fashion_mnist')
    fashion_mnist_files.ensure_fashion_mnist(
        dst, debian_dir=str(tmp_path / 'debian'), log=lambda line: None)
    with open(os.path.join(dst, 'train-labels-idx1-ubyte'), 'rb') as f:
        assert f.read() == _idx_bytes(content['train'][1])


def test_ensure_says_how_to_get_the_data_when_nothing_works(
        tmp_path, monkeypatch):
    def offline(data_root):
        raise OSError('network is unreachable')

    monkeypatch.setattr(fashion_mnist_files.shutil, 'which', lambda _: None)
    monkeypatch.setattr(fashion_mnist_files, 'download_with_mmpretrain',
                        offline)
    dst = str(tmp_path / 'fashion_mnist')
    with pytest.raises(FileNotFoundError) as error:
        fashion_mnist_files.ensure_fashion_mnist(
            dst, debian_dir=str(tmp_path / 'absent'), log=lambda line: None)
    message = str(error.value)
    assert 'network is unreachable' in message
    assert 'apt-get install dataset-fashion-mnist' in message
    assert f'python -m vrm_mm.datasets.fashion_mnist_files FOLDER {dst}' \
        in message
