"""LastBestAccuracyHook: both top-1 figures, logged and carried by resume."""
import logging
from types import SimpleNamespace

from mmengine.logging import MessageHub

from vrm_mm.runtime.hooks.last_best_accuracy_hook import LastBestAccuracyHook


class ListHandler(logging.Handler):

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def fake_runner(name: str):
    logger = logging.getLogger(f'last_best_{name}')
    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    runner = SimpleNamespace(
        epoch=0, logger=logger,
        message_hub=MessageHub.get_instance(f'last_best_{name}'))
    return runner, handler


def validate(hook, runner, epoch, top1):
    runner.epoch = epoch
    hook.after_val_epoch(runner, metrics={'accuracy/top1': top1})


def test_logs_best_beside_last_and_one_closing_line():
    hook = LastBestAccuracyHook()
    runner, handler = fake_runner('closing')
    for epoch, top1 in enumerate([50.0, 71.5, 60.25], start=1):
        validate(hook, runner, epoch, top1)
    hub = runner.message_hub
    assert hub.get_scalar('val/accuracy/top1_best').current() == 71.5
    assert hub.get_scalar('val/accuracy/top1_best_epoch').current() == 2
    hook.after_train(runner)
    assert handler.lines == [
        'accuracy/top1: last 60.25 (epoch 3), best 71.50 (epoch 2)']


def test_a_tie_keeps_the_earlier_best_epoch():
    hook = LastBestAccuracyHook()
    runner, _ = fake_runner('tie')
    validate(hook, runner, 1, 40.0)
    validate(hook, runner, 2, 40.0)
    record = runner.message_hub.get_info('last_best_accuracy')
    assert (record['best_epoch'], record['last_epoch']) == (1, 2)


def test_record_survives_a_checkpoint_round_trip():
    hook = LastBestAccuracyHook()
    runner, _ = fake_runner('before')
    validate(hook, runner, 1, 80.0)
    validate(hook, runner, 2, 70.0)
    state = runner.message_hub.state_dict()
    resumed, handler = fake_runner('after')
    resumed.message_hub.load_state_dict(state)
    validate(hook, resumed, 3, 75.0)
    hook.after_train(resumed)
    assert handler.lines == [
        'accuracy/top1: last 75.00 (epoch 3), best 80.00 (epoch 1)']


def test_other_metrics_are_left_alone():
    hook = LastBestAccuracyHook()
    runner, handler = fake_runner('other')
    hook.after_val_epoch(runner, metrics={'single-label/f1-score': 3.0})
    hook.after_val_epoch(runner, metrics=None)
    hook.after_train(runner)
    assert runner.message_hub.get_info('last_best_accuracy') is None
    assert handler.lines == []
