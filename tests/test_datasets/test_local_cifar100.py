"""LocalCIFAR100 on a fixture in the official cifar-100-python layout, and
the CIFAR-100 dataset configs through a DataLoader and the preprocessor."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from vrm_mm.datasets import LocalCIFAR100
from vrm_mm.registry import MODELS

NUM_TRAIN, NUM_TEST = 12, 5


def _write_cifar100(root, splits=('train', 'test')):
    """The official pickles: ``data`` N x 3072 uint8 (R, G, B planes)."""
    folder = os.path.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    content = {}
    for split in splits:
        num = NUM_TRAIN if split == 'train' else NUM_TEST
        entry = {
            'filenames': [f'img_{i}.png' for i in range(num)],
            'batch_label': f'{split} batch',
            'fine_labels': [(7 * i + 3) % 100 for i in range(num)],
            'coarse_labels': [i % 20 for i in range(num)],
            'data': rng.integers(0, 256, (num, 3072)).astype(np.uint8),
        }
        with open(os.path.join(folder, split), 'wb') as f:
            pickle.dump(entry, f, protocol=2)
        content[split] = entry
    meta = {'fine_label_names': [f'class{i}' for i in range(100)],
            'coarse_label_names': [f'super{i}' for i in range(20)]}
    with open(os.path.join(folder, 'meta'), 'wb') as f:
        pickle.dump(meta, f, protocol=2)
    return content


@pytest.fixture
def cifar_root(tmp_path):
    root = str(tmp_path / 'cifar100')
    return root, _write_cifar100(root)


@pytest.mark.parametrize('split', ['train', 'test'])
def test_reads_the_official_layout(cifar_root, split):
    root, content = cifar_root
    dataset = LocalCIFAR100(data_root=root, split=split, verify_md5=False)
    entry = content[split]
    assert len(dataset) == len(entry['fine_labels'])
    assert len(dataset.CLASSES) == 100
    for index in (0, len(dataset) - 1):
        info = dataset.get_data_info(index)
        planes = entry['data'][index].reshape(3, 32, 32)
        np.testing.assert_array_equal(info['img'], planes.transpose(1, 2, 0))
        assert info['gt_label'] == entry['fine_labels'][index]


def test_needs_only_the_requested_split(tmp_path):
    root = str(tmp_path / 'only_test')
    _write_cifar100(root, splits=('test', ))
    assert len(LocalCIFAR100(root, split='test', verify_md5=False)) == 5
    with pytest.raises(FileNotFoundError, match='cifar-100-python.tar.gz'):
        LocalCIFAR100(root, split='train', verify_md5=False)


def test_checksum_mismatch_says_how_to_proceed(cifar_root):
    with pytest.raises(ValueError, match='verify_md5=False'):
        LocalCIFAR100(cifar_root[0], split='train')


def test_never_downloads(cifar_root):
    with pytest.raises(ValueError, match='never downloads'):
        LocalCIFAR100(cifar_root[0], download=True, verify_md5=False)


def _loader_cfg(cfg, name, root, batch_size):
    loader = cfg[name].copy()
    loader.update(num_workers=0, persistent_workers=False,
                  batch_size=batch_size)
    loader['dataset'].update(data_root=root, verify_md5=False)
    return loader


def _normalised(uint8_batch, cfg):
    mean = torch.tensor(cfg.data_preprocessor.mean, dtype=torch.float64)
    std = torch.tensor(cfg.data_preprocessor.std, dtype=torch.float64)
    x = uint8_batch.double()
    return ((x - mean.view(-1, 1, 1)) / std.view(-1, 1, 1)).float()


def test_vrm_config_yields_normalised_real_and_virtual_views(
        cifar_root, repo_root):
    cfg = Config.fromfile(os.path.join(
        repo_root, 'configs/_base_/datasets/cifar100_bs64_vrm.py'))
    root, content = cifar_root
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        loader = Runner.build_dataloader(
            _loader_cfg(cfg, 'train_dataloader', root, 4), seed=0)
        preprocessor = MODELS.build(cfg.data_preprocessor)
    assert loader.drop_last
    batches = list(loader)
    assert len(batches) == NUM_TRAIN // 4
    raw = batches[0]
    real_u8, virtual_u8 = raw['inputs']
    out = preprocessor(raw, training=True)
    real, virtual = out['inputs']
    for view, view_u8 in ((real, real_u8), (virtual, virtual_u8)):
        assert view.shape == (4, 3, 32, 32) and view.dtype == torch.float32
        torch.testing.assert_close(view, _normalised(view_u8, cfg))
    assert not torch.equal(real, virtual)
    labels = {int(s.gt_label) for b in batches for s in b['data_samples']}
    assert labels <= set(content['train']['fine_labels'])
    assert len(labels) == NUM_TRAIN


def test_val_loader_is_single_view_with_top5_accuracy(cifar_root, repo_root):
    cfg = Config.fromfile(os.path.join(
        repo_root, 'configs/_base_/datasets/cifar100_bs64_vrm.py'))
    assert cfg.val_evaluator == dict(type='Accuracy', topk=(1, 5))
    root, content = cifar_root
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        loader = Runner.build_dataloader(
            _loader_cfg(cfg, 'test_dataloader', root, 5))
        preprocessor = MODELS.build(cfg.data_preprocessor)
    out = preprocessor(next(iter(loader)))
    assert isinstance(out['inputs'], torch.Tensor)
    assert out['inputs'].shape == (5, 3, 32, 32)
    planes = content['test']['data'].reshape(-1, 3, 32, 32)
    torch.testing.assert_close(
        out['inputs'], _normalised(torch.from_numpy(planes), cfg))


def test_runner_gives_the_model_the_dataset_preprocessor(
        cifar_root, repo_root, tmp_path):
    config = tmp_path / 'resnet20_cifar100.py'
    config.write_text(
        '_base_ = [\n'
        f"    '{repo_root}/configs/_base_/models/cifar100/resnet20.py',\n"
        f"    '{repo_root}/configs/_base_/datasets/cifar100_bs64.py',\n"
        f"    '{repo_root}/configs/_base_/schedules/cifar100_bs64_240e.py',\n"
        f"    '{repo_root}/configs/_base_/default_runtime.py',\n"
        ']\n')
    cfg = Config.fromfile(str(config))
    assert 'data_preprocessor' not in cfg.model
    cfg.work_dir = str(tmp_path / 'work_dir')
    cfg.train_dataloader = _loader_cfg(cfg, 'train_dataloader',
                                       cifar_root[0], 4)
    runner = Runner.from_cfg(cfg)
    preprocessor = runner.model.data_preprocessor
    assert type(preprocessor).__name__ == 'ClsDataPreprocessor'
    torch.testing.assert_close(
        preprocessor.mean.flatten(),
        torch.tensor(cfg.data_preprocessor.mean, dtype=torch.float32))
    batch = next(iter(runner.train_dataloader))
    losses = runner.model(**preprocessor(batch, True), mode='loss')
    assert torch.isfinite(losses['loss'])
