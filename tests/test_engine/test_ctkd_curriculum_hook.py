"""CTKDCurriculumHook: CTKD's cosine curriculum from the runner's position."""
import math
from types import SimpleNamespace

import pytest
from distill_helpers import KD_LOSS, build, distiller_cfg, save_teacher
from mmengine.logging import MessageHub

from vrm_mm.engine.hooks import CTKDCurriculumHook, curriculum_lambda
from vrm_mm.engine.hooks.ctkd_curriculum_hook import apply_curriculum

CTKD = dict(type='CTKDLoss', temperature_module=dict(type='GlobalTemperature'),
            inputs=dict(preds_S='student.logits', preds_T='teacher.logits'))


@pytest.fixture
def distiller(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    return build(distiller_cfg(path, distill_losses=dict(loss_ctkd=CTKD)))


def runner_at(model, epoch=0, iteration=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=iteration,
                           message_hub=MessageHub.get_instance('ctkd'))


@pytest.mark.parametrize('step,value', [
    (0, 0.0), (1, (1 - math.cos(math.pi / 10)) / 2), (5, 0.5), (10, 1.0),
    (240, 1.0)])
def test_cosine_curriculum_values(step, value):
    # CTKD's CosineDecay(max 0, min -1, loops 10) is minus these values
    assert curriculum_lambda(step, 10) == pytest.approx(value)


def test_hook_sets_lambda_from_the_epoch_and_logs_it(distiller):
    hook = CTKDCurriculumHook(epochs=10)
    runner = runner_at(distiller, epoch=4)  # the 5th epoch
    hook.before_train(runner)
    hook.before_train_iter(runner, batch_idx=0)
    assert distiller.distill_losses.loss_ctkd.grl_lambda == \
        pytest.approx(0.5)
    assert runner.message_hub.get_scalar(
        'train/ctkd_lambda').current() == pytest.approx(0.5)


def test_resumed_run_gets_the_same_schedule(distiller):
    """A fresh hook and loss (a resumed process) reproduce every value."""
    def schedule(hook, loss_model, epochs):
        values = []
        for epoch in epochs:
            hook.before_train_iter(runner_at(loss_model, epoch), 0)
            values.append(loss_model.distill_losses.loss_ctkd.grl_lambda)
        return values

    full = schedule(CTKDCurriculumHook(epochs=10), distiller, range(12))
    distiller.distill_losses.loss_ctkd.grl_lambda = None  # new process
    resumed = schedule(CTKDCurriculumHook(epochs=10), distiller,
                       range(6, 12))
    assert resumed == full[6:]
    assert full == sorted(full) and full[-1] == 1.0


def test_iteration_mode_and_a_distiller_without_ctkd(distiller, tmp_path):
    hook = CTKDCurriculumHook(epochs=4, by_epoch=False)
    assert hook.lambda_at(runner_at(distiller, epoch=9,
                                    iteration=1)) == pytest.approx(0.5)
    path = str(tmp_path / 'teacher2.pth')
    save_teacher(path)
    kd_only = build(distiller_cfg(path, distill_losses=dict(loss_kd=KD_LOSS)))
    with pytest.raises(ValueError, match='no CTKDLoss'):
        hook.before_train(runner_at(kd_only))
    with pytest.raises(ValueError, match='epochs must be'):
        CTKDCurriculumHook(epochs=0)


def test_apply_curriculum_outside_a_runner(distiller):
    """Tests and benchmarks set the hook's value from the config alone."""
    loss = distiller.distill_losses.loss_ctkd
    hooks = [dict(type='TeacherEvalHook', mode='once'),
             dict(type='CTKDCurriculumHook', epochs=10)]
    apply_curriculum(hooks, distiller, epoch=4)
    assert loss.grl_lambda == pytest.approx(0.5)
    apply_curriculum(hooks, distiller, epoch=239)
    assert loss.grl_lambda == 1.0
    loss.grl_lambda = None
    apply_curriculum(hooks[:1], distiller)  # no curriculum hook: untouched
    assert loss.grl_lambda is None
