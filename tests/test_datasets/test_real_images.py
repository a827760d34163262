"""The dataset configs' pipelines on real CIFAR-100, Fashion-MNIST and
ImageNet test images (the ``data`` folder of the foolbox wheel), read by
FilenameLabelledImages."""
import copy
import importlib.util
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

from vrm_mm.registry import DATASETS, MODELS

# foolbox is located, not imported: its import needs packages absent here.
FOOLBOX_DATA = os.path.join(
    list(importlib.util.find_spec('foolbox').submodule_search_locations)[0],
    'data')


def _config(repo_root, name):
    return Config.fromfile(
        os.path.join(repo_root, f'configs/_base_/datasets/{name}.py'))


def _dataset(prefix, pipeline, color_type='color'):
    # mmpretrain's BaseDataset builds its pipeline in the default scope,
    # which the Runner sets from the config's default_scope
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        return DATASETS.build(dict(
            type='FilenameLabelledImages', data_root=FOOLBOX_DATA,
            prefix=prefix, color_type=color_type,
            pipeline=copy.deepcopy(pipeline)))


def _sample(dataset, index, seed):
    np.random.seed(seed)
    return dataset[index]


def test_reads_cifar100_pngs_with_labels_from_names():
    dataset = _dataset('cifar100_', [])
    assert len(dataset) == 20
    info = dataset.get_data_info(3)
    assert os.path.basename(info['img_path']) == 'cifar100_03_51.png'
    assert info['gt_label'] == 51
    assert dataset.get_data_info(9)['gt_label'] == 0  # cifar100_09_0.png
    rgb = np.asarray(Image.open(info['img_path']).convert('RGB'))
    np.testing.assert_array_equal(info['img'], rgb)


def test_no_matching_image_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing_'):
        DATASETS.build(dict(type='FilenameLabelledImages',
                            data_root=str(tmp_path), prefix='nothing_'))


def test_cifar100_test_pipeline_and_preprocessor(repo_root):
    cfg = _config(repo_root, 'cifar100_bs64')
    dataset = _dataset('cifar100_', cfg.test_pipeline)
    batch = default_collate([dataset[i] for i in range(len(dataset))])
    out = MODELS.build(cfg.data_preprocessor)(batch)
    assert out['inputs'].shape == (20, 3, 32, 32)
    first = dataset.get_data_info(0)['img'].astype(np.float64)
    mean = np.array(cfg.data_preprocessor.mean)
    std = np.array(cfg.data_preprocessor.std)
    want = torch.from_numpy((first - mean) / std).permute(2, 0, 1).float()
    torch.testing.assert_close(out['inputs'][0], want)
    labels = [int(s.gt_label) for s in out['data_samples']]
    assert labels[:4] == [49, 33, 72, 51]


def test_real_view_is_the_ordinary_view_under_the_same_seed(repo_root):
    plain = _dataset('cifar100_',
                     _config(repo_root, 'cifar100_bs64').train_pipeline)
    two_view = _dataset(
        'cifar100_', _config(repo_root, 'cifar100_bs64_vrm').train_pipeline)
    for seed in range(6):
        real, virtual = _sample(two_view, 2, seed)['inputs']
        assert real.shape == virtual.shape == (3, 32, 32)
        assert not torch.equal(real, virtual)
        torch.testing.assert_close(real, _sample(plain, 2, seed)['inputs'])


def test_virtual_view_is_an_independent_crop_then_rand_augment(repo_root):
    cfg = _config(repo_root, 'cifar100_bs64_vrm')
    pipeline = copy.deepcopy(cfg.train_pipeline)
    # no-op augmentation: the virtual view is then the next crop/flip draw
    pipeline[0].update(policies=[dict(type='Invert', prob=0.0)])
    two_view = _dataset('cifar100_', pipeline)
    plain = _dataset('cifar100_',
                     _config(repo_root, 'cifar100_bs64').train_pipeline)
    for seed in range(4):
        _, virtual = _sample(two_view, 5, seed)['inputs']
        np.random.seed(seed)
        plain[5]  # the real view's draw
        torch.testing.assert_close(virtual, plain[5]['inputs'])


def test_virtual_view_changes_with_the_seed(repo_root):
    two_view = _dataset(
        'cifar100_', _config(repo_root, 'cifar100_bs64_vrm').train_pipeline)
    virtuals = [_sample(two_view, 0, seed)['inputs'][1] for seed in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not torch.equal(virtuals[i], virtuals[j])
    again = _sample(two_view, 0, 2)['inputs'][1]
    torch.testing.assert_close(again, virtuals[2])


def test_fashion_mnist_pngs_through_the_vrm_pipeline(repo_root):
    cfg = _config(repo_root, 'fashion_mnist_bs64_vrm')
    dataset = _dataset('fashionMNIST_', cfg.train_pipeline, 'grayscale')
    assert dataset.get_data_info(0)['img'].shape == (28, 28)
    assert dataset.get_data_info(0)['gt_label'] == 9
    np.random.seed(0)
    batch = default_collate([dataset[i] for i in range(8)])
    real, virtual = MODELS.build(cfg.data_preprocessor)(batch)['inputs']
    assert real.shape == virtual.shape == (8, 1, 28, 28)
    assert not torch.equal(real, virtual)
    test = _dataset('fashionMNIST_', cfg.test_pipeline, 'grayscale')
    assert test[0]['inputs'].shape == (1, 28, 28)


def test_imagenet_vrm_loader_on_real_jpgs(repo_root):
    cfg = _config(repo_root, 'imagenet_bs64_vrm')
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=2)
    loader_cfg.dataset = dict(
        type='FilenameLabelledImages', data_root=FOOLBOX_DATA,
        prefix='imagenet_', pipeline=cfg.train_pipeline)
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))
        preprocessor = MODELS.build(cfg.data_preprocessor)
    real, virtual = preprocessor(batch, training=True)['inputs']
    assert real.shape == virtual.shape == (2, 3, 224, 224)
    assert not torch.equal(real, virtual)
    assert abs(float(real.mean())) < 2.0  # normalised, not 0-255
