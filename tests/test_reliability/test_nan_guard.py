"""A NaN or Inf loss stops training with a clear message, or is skipped."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from reliability_helpers import (
    CLASSIFIER_CONFIG,
    CONFIG,
    checkpoints,
    data_options,
    one_thread,
    parse_options,
    prepare_data,
    train_in_process,
    weights,
)
from torch import nn

from vrm_mm.registry import MODELS
from vrm_mm.runtime.hooks import NanGuardHook


@MODELS.register_module(name='FlakyLossForTests', force=True)
class FlakyLoss(nn.Module):
    """``loss_weight * mean(|preds|)`` times ``value`` on the chosen
    (1-based) calls, else zero: NaN/Inf gradients as well as a NaN/Inf
    loss."""

    def __init__(self, bad_calls=(), value='nan', loss_weight=1.0) -> None:
        super().__init__()
        self.bad_calls = list(bad_calls)
        self.value = float(value)
        self.loss_weight = loss_weight
        self.calls = 0

    def forward(self, preds: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        factor = self.value if self.calls in self.bad_calls else 0.0
        return self.loss_weight * preds.abs().mean() * factor


@MODELS.register_module(name='FlakyCrossEntropyForTests', force=True)
class FlakyCrossEntropy(FlakyLoss):
    """A classification head loss: cross-entropy, NaN on the chosen calls."""

    def forward(self, cls_score, target, **kwargs) -> torch.Tensor:
        loss = F.cross_entropy(cls_score, target)
        return loss + super().forward(cls_score)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('nan_data')))


def flaky_distiller_options(data, bad_calls, value='nan') -> list:
    loss = 'model.distill_losses.loss_flaky'
    return [
        *data_options(data), f'{loss}.type=FlakyLossForTests',
        f'{loss}.bad_calls={bad_calls}', f'{loss}.value={value}',
        f'{loss}.inputs.preds=student.logits'
    ]


@pytest.mark.parametrize('value', ['nan', 'inf'])
@pytest.mark.slow
def test_bad_loss_stops_and_keeps_the_last_good_checkpoint(
        data, tmp_path, capsys, value):
    work_dir = str(tmp_path / 'work')
    with pytest.raises(SystemExit) as stop:
        train_in_process(
            CONFIG, work_dir, *flaky_distiller_options(data, [6], value),
            'default_hooks.checkpoint.by_epoch=False',
            'default_hooks.checkpoint.interval=1')
    assert stop.value.code == 1
    message = capsys.readouterr().err
    assert 'Traceback' not in message
    assert ('training failed: NonFiniteLossError: Non-finite loss at '
            f'iteration 6 (epoch 2, batch 2): loss_flaky={value}.') in message
    for hint in ('learning rate', 'bfloat16', 'teacher checkpoint',
                 "policy='skip'"):
        assert hint in message
    # a checkpoint after every iteration, but none after the bad one
    assert checkpoints(work_dir) == [f'iter_{i}.pth' for i in range(1, 6)]
    last = osp.join(work_dir, 'iter_5.pth')
    assert f'The last checkpoint, {last}, predates it.' in message
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == last
    assert all(
        torch.isfinite(value).all() for value in weights(last).values())


class Snapshots(Hook):
    """The model's and optimizer's state around each training iteration
    (after every other hook, NanGuardHook's restoring included)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.before, self.after = {}, {}

    @staticmethod
    def _state(runner):
        return copy.deepcopy((runner.model.state_dict(),
                              runner.optim_wrapper.state_dict()))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.before[runner.iter] = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.after[runner.iter] = self._state(runner)


def _all_equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_all_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_all_equal, a, b))
    return a == b


@pytest.mark.slow
def test_skip_policy_changes_neither_weights_nor_optimizer(data, tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(parse_options(
        *flaky_distiller_options(data, [3]), f'work_dir={tmp_path}',
        'experiment_name=skip_policy', 'default_hooks.nan_guard.policy=skip'))
    runner = Runner.from_cfg(cfg)
    snapshots = Snapshots()
    runner.register_hook(snapshots)
    with one_thread():
        runner.train()
    # iteration 3 (index 2) was skipped: the whole state is as before it,
    # BatchNorm statistics and momentum buffers included
    assert _all_equal(snapshots.before[2], snapshots.after[2])
    # the other iterations trained
    assert not _all_equal(snapshots.before[1], snapshots.after[1])
    assert not _all_equal(snapshots.before[3], snapshots.after[3])
    final = runner.model.state_dict()
    assert all(torch.isfinite(value).all() for value in final.values())


@pytest.mark.slow
def test_plain_classifier_is_guarded(tmp_path, tiny_folder, capsys):
    roots = [
        f'{split}_dataloader.dataset.data_root={tiny_folder}'
        for split in ('train', 'val', 'test')
    ]
    head_loss = 'model.head.loss'
    with pytest.raises(SystemExit):
        train_in_process(
            CLASSIFIER_CONFIG, str(tmp_path / 'work'), *roots,
            f'{head_loss}.type=FlakyCrossEntropyForTests',
            f'{head_loss}.bad_calls=[2,3]',
            'default_hooks.nan_guard.policy=skip',
            'default_hooks.nan_guard.max_consecutive_skips=2')
    message = capsys.readouterr()
    assert ('Non-finite loss at iteration 2 (epoch 1, batch 2): loss=nan. '
            'Step skipped') in message.out
    assert ('NonFiniteLossError: 2 non-finite losses in a row; the last: '
            'Non-finite loss at iteration 3 (epoch 1, batch 3): loss=nan.'
            ) in message.err
    assert checkpoints(str(tmp_path / 'work')) == []


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy='ignore' is not one of"):
        NanGuardHook(policy='ignore')
