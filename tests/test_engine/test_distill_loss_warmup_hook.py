"""DistillLossWarmupHook ramps loss weights from runner.epoch / runner.iter."""
from types import SimpleNamespace

import pytest
import torch
from distill_helpers import (
    KD_LOSS,
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)
from mmengine.logging import MessageHub
from mmengine.runner import IterBasedTrainLoop

from vrm_mm.engine.hooks import DistillLossWarmupHook

DKD_LOSS = dict(type='DKDLoss', loss_weight=2.0, inputs=dict(
    preds_S='student.logits', preds_T='teacher.logits',
    gt_label='gt_label'))


@pytest.fixture
def distiller(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    return build(distiller_cfg(path, distill_losses=dict(
        loss_kd=dict(KD_LOSS), loss_dkd=dict(DKD_LOSS))))


def fake_runner(model, epoch=0, iteration=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=iteration,
                           message_hub=MessageHub.get_instance('warmup'))


def weights_at(hook, runner) -> dict:
    hook.before_train_iter(runner, batch_idx=0)
    return {name: loss.loss_weight
            for name, loss in runner.model.distill_losses.items()}


@pytest.mark.parametrize('epoch,factor', [(0, 1 / 20), (9, 0.5), (19, 1.0),
                                          (30, 1.0)])
def test_epoch_ramp_of_selected_losses(distiller, epoch, factor):
    hook = DistillLossWarmupHook(warmup=20, loss_names=['loss_dkd'])
    runner = fake_runner(distiller)
    hook.before_train(runner)
    runner.epoch = epoch
    weights = weights_at(hook, runner)
    assert weights['loss_dkd'] == pytest.approx(2.0 * factor)
    assert weights['loss_kd'] == 0.9  # not selected
    assert runner.message_hub.get_scalar(
        'train/distill_warmup_factor').current() == pytest.approx(factor)


def test_iteration_ramp_of_all_losses(distiller):
    hook = DistillLossWarmupHook(warmup=10, by_epoch=False)
    runner = fake_runner(distiller, epoch=3, iteration=4)
    weights = weights_at(hook, runner)
    assert weights == pytest.approx({'loss_kd': 0.45, 'loss_dkd': 1.0})


def test_ramp_goes_up_step_by_step_and_scales_the_loss(distiller):
    hook = DistillLossWarmupHook(warmup=4)
    runner = fake_runner(distiller)
    x, data_samples = torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0])
    distiller.eval()  # same logits at every step
    values = []
    for epoch in range(6):
        runner.epoch = epoch
        hook.before_train_iter(runner, batch_idx=0)
        values.append(distiller(x, data_samples, mode='loss')['loss_dkd'])
    full = values[-1]
    torch.testing.assert_close(torch.stack(values),
                               full * torch.tensor([.25, .5, .75, 1, 1, 1]))


def test_resume_needs_no_state(distiller, tmp_path):
    continuing = DistillLossWarmupHook(warmup=20)
    runner = fake_runner(distiller)
    for epoch in range(8):
        runner.epoch = epoch
        continuing.before_train_iter(runner, batch_idx=0)
    # a resumed run: a fresh model (configured weights) and a fresh hook
    resumed = fake_runner(build(distiller_cfg(
        str(tmp_path / 'teacher.pth'), distill_losses=dict(
            loss_kd=dict(KD_LOSS), loss_dkd=dict(DKD_LOSS)))), epoch=7)
    assert weights_at(DistillLossWarmupHook(warmup=20), resumed) == \
        weights_at(continuing, runner)


def test_bad_configuration_is_reported(distiller):
    with pytest.raises(ValueError, match='warmup must be >= 1'):
        DistillLossWarmupHook(warmup=0)
    hook = DistillLossWarmupHook(loss_names=['loss_dk'])
    with pytest.raises(ValueError,
                       match=r"no distillation loss \['loss_dk'\]"):
        hook.before_train(fake_runner(distiller))


def test_epoch_ramp_in_iteration_loop_is_reported(distiller):
    runner = fake_runner(distiller)
    runner.train_loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    with pytest.raises(ValueError, match='by_epoch=False'):
        DistillLossWarmupHook().before_train(runner)
    DistillLossWarmupHook(by_epoch=False).before_train(runner)


def test_loss_without_weight_is_reported(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    distiller = build(distiller_cfg(path, distill_losses=dict(
        loss_fit=dict(type='PixelReconstructionLoss', criterion='L2',
                      inputs=dict(pred='student.pre_logits',
                                  target='teacher.pre_logits')))))
    with pytest.raises(ValueError, match='no `loss_weight`'):
        DistillLossWarmupHook().before_train(fake_runner(distiller))


def test_plain_classifier_is_refused():
    hook = DistillLossWarmupHook()
    with pytest.raises(TypeError, match='needs a distiller'):
        hook.before_train(fake_runner(build(tiny_classifier())))


@pytest.mark.parametrize('epoch,factor', [(0, 0.0), (1, 1 / 20), (10, 0.5),
                                          (20, 1.0)])
def test_counting_from_zero_gives_reviewkds_ramp(distiller, epoch, factor):
    # ReviewKD CIFAR-100/train.py: min(1, epoch / 20), epoch in range(240)
    hook = DistillLossWarmupHook(warmup=20, loss_names=['loss_dkd'],
                                 count_from=0)
    runner = fake_runner(distiller)
    hook.before_train(runner)
    runner.epoch = epoch
    assert weights_at(hook, runner)['loss_dkd'] == pytest.approx(
        2.0 * factor)


def test_count_from_lists_its_valid_values():
    with pytest.raises(ValueError, match='count_from must be 0 or 1'):
        DistillLossWarmupHook(count_from=2)
