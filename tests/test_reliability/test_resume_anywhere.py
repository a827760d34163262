"""``tools/train.py --resume`` is exact whatever the config's hooks, from
mid-epoch iteration checkpoints too, and ``num_workers`` does not change
the weights.

Runs: the tiny VRM distiller (two views: crop/flip + RandAugment with
magnitude noise, Mixup, distillation loss warm-up) and a plain mmpretrain
classifier config with its own runtime (no vrm_mm base).
"""
import glob
import os.path as osp

import pytest
import torch
from conftest import write_image_folder
from mmpretrain.datasets import CustomDataset
from reliability_helpers import (
    CONFIG,
    REPO_ROOT,
    assert_same_weights,
    checkpoints,
    data_options,
    prepare_data,
    stopped_at,
    train_in_process,
    weights,
)
from torch.utils.data import DataLoader

from vrm_mm.datasets.seeded_pipeline import seed_pipelines, shared_epoch
from vrm_mm.engine import SkippableBatchSampler

OWN_RUNTIME = osp.join(REPO_ROOT, 'tests', 'test_reliability', 'data',
                       'tiny_classifier_own_runtime.py')
MIXUP = ('model.data_preprocessor.batch_augments.augments.type=Mixup',
         'model.data_preprocessor.batch_augments.augments.alpha=1.0')
# 16 images, 4 per batch: 4 iterations an epoch; iter_3 is mid-epoch 1
EVERY_3_ITERS = ('default_hooks.checkpoint.interval=3',
                 'default_hooks.checkpoint.by_epoch=False',
                 'train_cfg.max_epochs=2')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('anywhere_data')))


def train_log(work_dir: str) -> str:
    (path, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(path) as f:
        return f.read()


def resume_own_runtime(data, tmp_path, *options):
    """Final weights of the straight and the resumed (after epoch 1) run
    of the config with its own runtime."""
    options = [f'train_dataloader.dataset.data_root={data["root"]}', *options]
    reference = str(tmp_path / 'reference')
    train_in_process(OWN_RUNTIME, reference, *options)
    resumed = stopped_at(reference, 'epoch_1.pth', str(tmp_path / 'resumed'))
    train_in_process(OWN_RUNTIME, resumed, *options, resume=True)
    return (weights(osp.join(reference, 'epoch_2.pth')),
            weights(osp.join(resumed, 'epoch_2.pth')),
            weights(osp.join(reference, 'epoch_1.pth')))


@pytest.mark.slow
def test_config_with_its_own_hooks_resumes_exactly(data, tmp_path, capsys):
    expected, actual, after_1 = resume_own_runtime(data, tmp_path)
    assert_same_weights(expected, actual)
    assert any(not torch.equal(expected[key], after_1[key])
               for key in expected)
    assert 'not exact' not in capsys.readouterr().out


@pytest.mark.slow
def test_seeding_turned_off_says_resume_is_not_exact(data, tmp_path, capsys):
    expected, actual, _ = resume_own_runtime(data, tmp_path,
                                             'default_hooks.epoch_seed=None')
    assert any(not torch.equal(expected[key], actual[key])
               for key in expected)
    said = [line for line in capsys.readouterr().out.splitlines()
            if 'not exact' in line]
    assert said == ['vrm_mm: --resume is not exact: default_hooks.'
                    'epoch_seed=None turns off the seeding of augmentations '
                    'by (seed, epoch, sample index).']


@pytest.mark.slow
def test_resume_from_mid_epoch_iteration_checkpoint_is_exact(data, tmp_path):
    options = [*data_options(data), *MIXUP, *EVERY_3_ITERS]
    reference = str(tmp_path / 'reference')
    train_in_process(CONFIG, reference, *options)
    assert checkpoints(reference) == ['iter_3.pth', 'iter_6.pth',
                                      'iter_8.pth']
    resumed = stopped_at(reference, 'iter_3.pth', str(tmp_path / 'resumed'))
    train_in_process(CONFIG, resumed, *options, resume=True)
    assert_same_weights(weights(osp.join(reference, 'iter_8.pth')),
                        weights(osp.join(resumed, 'iter_8.pth')))
    # it went on at the 4th batch of epoch 1, not at the epoch's start
    log = train_log(resumed)
    assert 'Epoch(train) [1][4/4]' in log
    assert 'Epoch(train) [1][1/4]' not in log
    assert checkpoints(resumed) == ['iter_3.pth', 'iter_6.pth', 'iter_8.pth']


@pytest.mark.slow
def test_num_workers_do_not_change_the_weights(data, tmp_path):
    options = [*data_options(data), *MIXUP, 'train_cfg.max_epochs=2']
    final = {}
    for workers in (0, 2):
        work_dir = str(tmp_path / f'workers_{workers}')
        train_in_process(CONFIG, work_dir, *options,
                         f'train_dataloader.num_workers={workers}')
        final[workers] = weights(osp.join(work_dir, 'epoch_2.pth'))
    assert_same_weights(final[0], final[2])


class CountingDataset(torch.utils.data.Dataset):

    def __init__(self) -> None:
        self.loaded = []

    def __len__(self) -> int:
        return 12

    def __getitem__(self, index: int) -> int:
        self.loaded.append(index)
        return index


def test_skipped_batches_are_not_loaded():
    generator = torch.Generator().manual_seed(0)
    dataset = CountingDataset()
    loader = DataLoader(dataset, batch_size=3, shuffle=True,
                        generator=generator)
    straight = [batch.tolist() for batch in loader]
    generator.manual_seed(0)
    batches = SkippableBatchSampler(loader.batch_sampler)
    object.__setattr__(loader, 'batch_sampler', batches)
    dataset.loaded.clear()
    batches.skip = 2
    assert [batch.tolist() for batch in loader] == straight[2:]
    assert dataset.loaded == [i for batch in straight[2:] for i in batch]
    assert len(loader) == 4
    batches.skip = 0  # what the loop does after the epoch
    generator.manual_seed(0)
    assert [batch.tolist() for batch in loader] == straight


@pytest.mark.parametrize('persistent', [False, True])
def test_skipping_holds_for_loaders_with_workers(persistent):
    # a DataLoader with workers calls iter() on its batch sampler twice
    # when it builds its iterator: a skip consumed by the first call was
    # lost (a mid-epoch resume with workers retrained the epoch's start)
    straight = [batch.tolist() for batch in DataLoader(CountingDataset(),
                                                       batch_size=3)]
    loader = DataLoader(CountingDataset(), batch_size=3, num_workers=1,
                        persistent_workers=persistent)
    batches = SkippableBatchSampler(loader.batch_sampler)
    object.__setattr__(loader, 'batch_sampler', batches)
    batches.skip = 3  # the resumed epoch: the loader's first iterator
    assert [batch.tolist() for batch in loader] == straight[3:]
    batches.skip = 0
    assert [batch.tolist() for batch in loader] == straight


def test_two_view_samples_depend_on_epoch_and_index_and_carry_it(tmp_path):
    from mmengine.config import Config
    pipeline = Config.fromfile(CONFIG).train_pipeline
    dataset = CustomDataset(
        data_root=write_image_folder(str(tmp_path)), data_prefix='train',
        pipeline=pipeline)
    epoch = shared_epoch()
    assert seed_pipelines(dataset, 0, epoch) == 1
    epoch.value = 1
    first = dataset[3]
    again = dataset[5], dataset[3]
    epoch.value = 2
    other_epoch = dataset[3]
    assert first['data_samples'].sample_idx == 3
    assert all(torch.equal(a, b)
               for a, b in zip(first['inputs'], again[1]['inputs']))
    assert not all(torch.equal(a, b)
                   for a, b in zip(first['inputs'], other_epoch['inputs']))
    # the real and the virtual view are drawn differently
    assert not torch.equal(*first['inputs'])
