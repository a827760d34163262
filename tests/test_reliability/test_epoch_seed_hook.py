"""EpochSeedHook on a bare DataLoader: draws depend on (epoch, index) only."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader, Subset

from vrm_mm.runtime.hooks import EpochSeedHook
from vrm_mm.runtime.hooks.epoch_seed_hook import seed_everything
from vrm_mm.utils.errors import VrmMmError


def draw(results: dict) -> list:
    """A pipeline drawing from every generator transforms use."""
    return [results['sample_idx'], np.random.rand(), random.random(),
            torch.rand(()).item()]


class Draws:
    """A dataset whose pipeline draws random numbers."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.pipeline = draw

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> list:
        return self.pipeline(dict(sample_idx=index))


def run_epochs(epochs, num_workers: int, persistent: bool) -> dict:
    """Draws per epoch of a fresh loader (a fresh process) and hook."""
    loader = DataLoader(Draws(), batch_size=2, num_workers=num_workers,
                        persistent_workers=persistent)
    runner = SimpleNamespace(seed=7, epoch=None, train_dataloader=loader,
                             train_loop=None)
    hook = EpochSeedHook()
    hook.before_train(runner)
    draws = {}
    for epoch in epochs:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        draws[epoch] = [row.tolist() for batch in loader for row in batch]
    return draws


@pytest.mark.parametrize('num_workers,persistent', [(0, False), (2, False),
                                                    (2, True)])
def test_draws_depend_on_the_epoch_and_index_only(num_workers, persistent):
    full = run_epochs([0, 1, 2], num_workers, persistent)
    resumed = run_epochs([1, 2], num_workers, persistent)
    assert resumed == {1: full[1], 2: full[2]}
    # whoever loads the samples (mmengine's per-worker seeding gives each
    # worker count other draws)
    assert full == run_epochs([0, 1, 2], 0, False)
    # and every epoch draws anew
    assert full[0] != full[1] != full[2]


def test_pipelines_of_wrapped_datasets_are_seeded_once():
    first, second = Draws(), Draws()
    dataset = Subset(ConcatDataset([first, second]), [0, 5, 2])
    loader = DataLoader(dataset, batch_size=2)
    runner = SimpleNamespace(seed=0, epoch=0, train_dataloader=loader,
                             train_loop=None)
    hook = EpochSeedHook()
    hook.before_train(runner)
    hook.before_train(runner)  # a second train() wraps nothing twice
    assert first.pipeline is not draw and second.pipeline is not draw
    assert first.pipeline.pipeline is draw
    # the members of a concatenation draw differently for the same index
    hook.before_train_epoch(runner)
    assert first[1][1:] != second[1][1:]


def test_a_dataset_without_sample_index_is_a_clear_error():
    dataset = Draws()
    dataset.pipeline = lambda results: results
    runner = SimpleNamespace(seed=0, epoch=0, train_loop=None,
                             train_dataloader=DataLoader(dataset))
    EpochSeedHook().before_train(runner)
    with pytest.raises(VrmMmError, match="no 'sample_idx'"):
        dataset.pipeline({})


def test_seed_everything_streams():
    seed_everything(0, 1, 0)
    a = (np.random.rand(), random.random(), torch.rand(()).item())
    seed_everything(0, 1, 0)
    assert (np.random.rand(), random.random(), torch.rand(()).item()) == a
    seed_everything(0, 2, 0)
    assert np.random.rand() != a[0]
