"""What the config, the data and the model tell before the first iteration
stops ``tools/train.py`` with one line, no step trained and nothing saved
(``PreflightHook``)."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from conftest import write_fashion_mnist
from mmengine.config import Config
from mmengine.registry import DefaultScope
from reliability_helpers import (
    CONFIG,
    data_options,
    prepare_data,
    stopped_before_training,
    train_in_process,
)
from torch.utils.data import DataLoader, DistributedSampler

from vrm_mm.engine.hooks import CTKDCurriculumHook, DistillLossWarmupHook
from vrm_mm.registry import DATASETS
from vrm_mm.runtime.cli import TRACEBACK_ENV
from vrm_mm.runtime.hooks.preflight_hook import (
    PreflightError,
    batch_sizes,
    check_iterations,
    check_labels,
    check_warmups,
)
from vrm_mm.runtime.run_guards import derive_crd_num_data

HERE = osp.dirname(osp.abspath(__file__))
CRD_CONFIG = osp.join(HERE, 'data', 'tiny_crd_distiller.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('preflight_data')))


@pytest.fixture(autouse=True)
def no_traceback_env(monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)


def preflight_error(capsys, work_dir: str, *options: str,
                    config: str = CONFIG) -> str:
    """Run the tool; it must stop before the first iteration, one line."""
    err = stopped_before_training(capsys, work_dir, *options, config=config)
    lines = [line for line in err.splitlines() if 'PreflightError' in line]
    assert len(lines) == 1, err
    return lines[0]


def test_a_train_set_smaller_than_a_batch(data, tmp_path, capsys):
    # 16 images, batches of 32 with drop_last=True: 0 iterations per epoch
    line = preflight_error(capsys, str(tmp_path / 'work'),
                           *data_options(data),
                           'train_dataloader.batch_size=32')
    assert ('An epoch has 0 iterations: the train set has 16 samples, 16 '
            'per rank on 1 rank(s), fewer than train_dataloader.batch_size=32'
            ' with drop_last=True. Set train_dataloader.batch_size to at '
            'most 16') in line


def test_each_rank_needs_a_batch():
    # 6 samples on 2 ranks: 3 each, fewer than a batch of 4
    dataset = list(range(6))
    loader = DataLoader(dataset, batch_size=4, drop_last=True,
                        sampler=DistributedSampler(dataset, num_replicas=2,
                                                   rank=1, shuffle=False))
    with pytest.raises(PreflightError, match='6 samples, 3 per rank on 2 '
                       'rank.s., fewer than train_dataloader.batch_size=4'):
        check_iterations(loader, 2)
    check_iterations(DataLoader(dataset, batch_size=3, drop_last=True,
                                sampler=loader.sampler), 2)


def test_a_label_beyond_num_classes(data, tmp_path, capsys):
    ann_file = tmp_path / 'train.txt'
    ann_file.write_text('class0/0.png 0\nclass1/0.png 1\nclass1/1.png 7\n'
                        'class0/1.png 0\n')
    line = preflight_error(capsys, str(tmp_path / 'work'),
                           *data_options(data),
                           f'train_dataloader.dataset.ann_file={ann_file}')
    assert 'The train set has label 7 (' in line
    assert 'class1/1.png' in line and str(ann_file) in line
    assert ('model.student.head.num_classes=2: the labels go up to 7; set '
            'model.student.head.num_classes=8') in line


def test_fashion_mnist_labels_are_read_from_the_label_file(tmp_path):
    write_fashion_mnist(str(tmp_path), dict(train=12, t10k=4),
                        gzipped=False)
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        dataset = DATASETS.build(dict(type='FashionMNIST',
                                      data_root=str(tmp_path), split='train',
                                      download=False, pipeline=[]))
    check_labels(dataset, 10, 'model.head.num_classes', 'train')
    # labels (3i + 1) % 10: index 1 has 4, the first one >= 4
    with pytest.raises(PreflightError,
                       match=r'label 4 \(sample 1, FashionMNIST'):
        check_labels(dataset, 4, 'model.head.num_classes', 'train')


def test_the_last_batch_of_one_sample_for_a_relation_loss(data, tmp_path,
                                                          capsys):
    # 16 images in batches of 5 without drop_last: the 4th batch has 1
    line = preflight_error(capsys, str(tmp_path / 'work'),
                           *data_options(data),
                           'train_dataloader.batch_size=5',
                           'train_dataloader.drop_last=False')
    assert ('loss_vrm (VRMLoss) needs at least 2 samples per batch, but the '
            'last batch of every epoch has 1 (16 samples per rank, '
            'batch_size=5, drop_last=False): set '
            'train_dataloader.drop_last=True') in line


def test_batch_sizes_of_an_epoch():
    dataset = list(range(16))
    assert batch_sizes(DataLoader(dataset, batch_size=5)) == [5, 1]
    assert batch_sizes(DataLoader(dataset, batch_size=5,
                                  drop_last=True)) == [5]
    assert batch_sizes(DataLoader(dataset, batch_size=4)) == [4]
    assert batch_sizes(DataLoader(dataset, batch_size=32)) == [16]


def test_a_batch_of_one_for_a_relation_loss(data, tmp_path, capsys):
    line = preflight_error(capsys, str(tmp_path / 'work'),
                           *data_options(data),
                           'train_dataloader.batch_size=1')
    assert ('loss_vrm (VRMLoss) needs at least 2 samples per batch, but '
            'train_dataloader.batch_size=1: set it to at least 2.') in line


def test_crd_num_data_other_than_the_train_set(data, tmp_path, capsys):
    line = preflight_error(
        capsys, str(tmp_path / 'work'),
        f'train_dataloader.dataset.dataset.data_root={data["root"]}',
        f'model.teacher_ckpt={data["teacher"]}',
        'model.distill_losses.loss_crd.num_data=50000', config=CRD_CONFIG)
    assert ('model.distill_losses.loss_crd.num_data=50000, but the train set'
            ' has 16 samples') in line
    assert 'set num_data=16, or leave num_data out' in line


def test_crd_num_data_is_derived_when_left_out(data):
    cfg = Config.fromfile(CRD_CONFIG)
    cfg.model.distill_losses.loss_crd.pop('num_data')
    cfg.train_dataloader.dataset.dataset.data_root = data['root']
    derive_crd_num_data(cfg)
    assert cfg.model.distill_losses.loss_crd.num_data == 16


def test_a_warmup_longer_than_the_schedule(data, tmp_path, capsys):
    config = tmp_path / 'long_warmup.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_hooks = [dict(type='DistillLossWarmupHook', warmup=20, "
        'by_epoch=True)]\n')
    line = preflight_error(capsys, str(tmp_path / 'work'),
                           *data_options(data), config=str(config))
    assert ('DistillLossWarmupHook: warmup=20 needs 20 epochs, longer than '
            'the schedule (train_cfg.max_epochs: 3 epochs), so it never ends; '
            'set the custom_hooks DistillLossWarmupHook warmup to at most 3 '
            'or train longer.') in line


def test_warmups_and_curricula_against_the_schedule():
    def runner(hook, max_epochs):
        return SimpleNamespace(hooks=[hook], max_epochs=max_epochs,
                               max_iters=100)

    # full weight at epoch 3 (counted from 1) or 4 (from 0, ReviewKD's)
    check_warmups(runner(DistillLossWarmupHook(warmup=3), 3))
    with pytest.raises(PreflightError, match='warmup=3 needs 4 epochs'):
        check_warmups(runner(DistillLossWarmupHook(warmup=3, count_from=0),
                             3))
    check_warmups(runner(DistillLossWarmupHook(warmup=3, count_from=0), 4))
    with pytest.raises(PreflightError, match=r'CTKDCurriculumHook: epochs=5 '
                       r'needs 5 epochs, longer than the schedule '
                       r'\(train_cfg.max_epochs: 4 epochs\)'):
        check_warmups(runner(CTKDCurriculumHook(epochs=5), 4))
    with pytest.raises(PreflightError, match='needs 200 iterations'):
        check_warmups(runner(DistillLossWarmupHook(warmup=200,
                                                   by_epoch=False), 4))


@pytest.mark.slow
def test_a_run_that_fits_trains(data, tmp_path):
    # the checks pass on the tests' own config (a 2-epoch warm-up): the
    # schedule of 2 epochs trains
    work_dir = str(tmp_path / 'work')
    train_in_process(CONFIG, work_dir, *data_options(data),
                     'train_cfg.max_epochs=2')
    assert torch.load(osp.join(work_dir, 'epoch_2.pth'), map_location='cpu',
                      weights_only=True)['meta']['epoch'] == 2


def stopped(capsys, work_dir: str, kind: str, *options: str) -> str:
    """Stopped before the Runner was built: the one line of ``kind``."""
    with pytest.raises(SystemExit) as stop:
        train_in_process(CONFIG, work_dir, *options)
    assert stop.value.code == 1
    _, err = capsys.readouterr()
    assert 'Traceback' not in err
    lines = [line for line in err.splitlines() if f'{kind}:' in line]
    assert len(lines) == 1, err
    return lines[0]


def test_a_work_dir_that_cannot_be_created(data, tmp_path, capsys):
    (tmp_path / 'a_file').write_text('')
    work_dir = str(tmp_path / 'a_file' / 'work')
    line = stopped(capsys, work_dir, 'PreflightError', *data_options(data))
    assert (f'work_dir {work_dir} cannot be created (Not a directory): give '
            'another one with --work-dir DIR.') in line


@pytest.mark.parametrize('empty', [False, True])
def test_a_missing_or_empty_image_folder(data, tmp_path, capsys, empty):
    root = tmp_path / 'images'
    if empty:
        (root / 'train' / 'class0').mkdir(parents=True)
    line = stopped(capsys, str(tmp_path / 'work'), 'PreflightError',
                   *data_options(data),
                   f'train_dataloader.dataset.data_root={root}')
    folder = osp.join(str(root), 'train')
    assert (f'The train images folder {folder} holds no image' if empty else
            f'The train images folder {folder} does not exist') in line
    assert 'train_dataloader.dataset.data_root' in line


def test_a_truncated_load_from(data, tmp_path, capsys):
    torn = tmp_path / 'torn.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, torn)
    torn.write_bytes(torn.read_bytes()[:2000])
    line = stopped(capsys, str(tmp_path / 'work'), 'CheckpointFitError',
                   *data_options(data), f'load_from={torn}')
    assert f'{torn} is not a readable checkpoint, truncated or corrupt' in (
        line)
