"""ContrastSampleDataset: each sample's index and K negatives (CRD), drawn
from other classes, a function of (seed, epoch, index) only."""
import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset, pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.datasets import BaseDataset
from tiny_config_helpers import FOOLBOX_DATA
from torch.utils.data import DataLoader

from vrm_mm.datasets import ContrastSampleDataset
from vrm_mm.datasets.contrast_sample_dataset import _draw_distinct
from vrm_mm.datasets.seeded_pipeline import seed_pipelines, shared_epoch
from vrm_mm.registry import DATASETS

# 3 classes of 5, 7 and 9 samples, interleaved
LABELS = [0, 1, 2] * 5 + [1, 2] * 2 + [2] * 2


class TinyArrays(BaseDataset):
    """Random 4 x 4 images with LABELS; counts the images it prepares."""

    def __init__(self, labels=LABELS, **kwargs) -> None:
        self.labels = labels
        self.prepared = 0
        super().__init__(ann_file='', pipeline=[dict(type='PackInputs')],
                         **kwargs)

    def load_data_list(self):
        rng = np.random.default_rng(0)
        return [dict(img=rng.integers(0, 256, (4, 4, 3), dtype=np.uint8),
                     gt_label=label) for label in self.labels]

    def prepare_data(self, idx):
        self.prepared += 1
        return super().prepare_data(idx)


def seeded(dataset, seed=0, epoch=0):
    counter = shared_epoch()
    counter.value = epoch
    seed_pipelines(dataset, seed, counter)
    return counter


def negatives(dataset, index):
    return dataset[index]['data_samples'].contrast_idx


def test_built_from_config_in_the_vrm_mm_scope():
    init_default_scope('vrm_mm')
    dataset = DATASETS.build(dict(
        type='ContrastSampleDataset', num_negatives=2,
        dataset=dict(type='FilenameLabelledImages', data_root=FOOLBOX_DATA,
                     prefix='cifar100_', indices=3,
                     pipeline=[dict(type='PackInputs')])))
    assert isinstance(dataset, ContrastSampleDataset)
    seeded(dataset)
    # three images of classes 49, 33, 72: the other two are the negatives
    assert sorted(negatives(dataset, 1).tolist()) == [0, 2]


def test_sample_carries_its_index_and_k_negatives_of_other_classes():
    inner = TinyArrays()
    dataset = ContrastSampleDataset(inner, num_negatives=8)
    assert inner.prepared == 0  # labels were read without images
    seeded(dataset)
    labels = np.asarray(LABELS)
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        assert sample.sample_idx == index
        drawn = sample.contrast_idx
        assert drawn.dtype == torch.int64 and drawn.shape == (8, )
        assert len(set(drawn.tolist())) == 8  # without replacement
        assert (labels[drawn.numpy()] != LABELS[index]).all()
    assert len(dataset) == len(LABELS) and dataset.metainfo == inner.metainfo


def test_every_other_class_sample_can_be_drawn():
    # class 2 has 9 samples, so classes 0 and 1 (12 samples) are the
    # negatives of a class-2 sample: with K = 12 all of them, once each
    dataset = ContrastSampleDataset(TinyArrays(), num_negatives=12)
    seeded(dataset)
    class_2 = LABELS.index(2)
    expected = [i for i, label in enumerate(LABELS) if label != 2]
    assert sorted(negatives(dataset, class_2).tolist()) == expected


def test_any_mode_draws_every_sample_but_itself():
    dataset = ContrastSampleDataset(TinyArrays(), num_negatives=20,
                                    negatives='any')
    seeded(dataset)
    assert sorted(negatives(dataset, 4).tolist()) == [
        i for i in range(21) if i != 4]


def test_same_seed_epoch_index_same_negatives_else_different():
    dataset = ContrastSampleDataset(TinyArrays(), num_negatives=6)
    epoch = seeded(dataset, seed=3, epoch=1)
    first = negatives(dataset, 5)
    negatives(dataset, 7)  # other draws in between change nothing
    assert torch.equal(negatives(dataset, 5), first)
    epoch.value = 2
    assert not torch.equal(negatives(dataset, 5), first)
    other_seed = ContrastSampleDataset(TinyArrays(), num_negatives=6)
    seeded(other_seed, seed=4, epoch=1)
    assert not torch.equal(negatives(other_seed, 5), first)


def test_negatives_do_not_depend_on_num_workers():
    dataset = ContrastSampleDataset(TinyArrays(), num_negatives=6)
    seeded(dataset, epoch=1)

    def drawn(num_workers):
        loader = DataLoader(dataset, batch_size=4, num_workers=num_workers,
                            collate_fn=pseudo_collate)
        return {
            sample.sample_idx: sample.contrast_idx.tolist()
            for batch in loader for sample in batch['data_samples']
        }

    single = drawn(0)
    assert len(single) == len(dataset)
    assert drawn(2) == single


def test_concat_inside_numbers_samples_globally():
    dataset = ContrastSampleDataset(
        ConcatDataset([TinyArrays(), TinyArrays(labels=[0, 1])]),
        num_negatives=4)
    seeded(dataset)
    sample = dataset[22]['data_samples']
    assert sample.sample_idx == 22
    labels = np.asarray(LABELS + [0, 1])
    assert (labels[sample.contrast_idx.numpy()] != 1).all()


def test_rejection_sampling_of_large_pools_is_distinct_and_uniform():
    torch.manual_seed(0)
    counts = np.zeros(1000)
    for _ in range(200):
        drawn = _draw_distinct(1000, 20).numpy()  # pool > 16 K: rejection
        assert len(set(drawn)) == 20 and drawn.min() >= 0
        counts[drawn] += 1
    # 4000 draws over 1000 values: 4 each on average
    assert counts.mean() == 4 and counts.max() < 15


def test_too_few_other_class_samples_names_k_count_and_fix():
    # the largest class (2, nine samples) leaves 12 other-class samples
    with pytest.raises(ValueError) as error:
        ContrastSampleDataset(TinyArrays(), num_negatives=13)
    message = str(error.value)
    assert 'num_negatives=13' in message and 'only 12 samples' in message
    assert 'class 2 (9 of the 21 samples)' in message
    assert 'lower num_negatives to at most 12' in message


@pytest.mark.parametrize('k', [0, -1, 2.0, True])
def test_k_must_be_a_positive_integer(k):
    with pytest.raises(ValueError, match='num_negatives must be an integer'):
        ContrastSampleDataset(TinyArrays(), num_negatives=k)


def test_unknown_negatives_mode():
    with pytest.raises(ValueError, match="negatives='exact' is not one of"):
        ContrastSampleDataset(TinyArrays(), num_negatives=2,
                              negatives='exact')


def test_unpacked_samples_are_refused():
    inner = TinyArrays()
    inner.pipeline = lambda results: results
    dataset = ContrastSampleDataset(inner, num_negatives=2)
    with pytest.raises(TypeError, match="end its pipeline with"):
        dataset[0]
