"""Bad distillation configs and batches stop ``tools/train.py`` with one
clear message (the problem, the fix) and no training step.

Most cases run ``tools.train.main`` in this process (fast); an error that
happens inside ``runner.train()`` also runs the real command line.
"""
import glob
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from reliability_helpers import (
    CONFIG,
    REPO_ROOT,
    checkpoints,
    data_options,
    prepare_data,
    run_tool,
    stopped_before_training,
)

from vrm_mm.runtime.cli import TRACEBACK_ENV


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('errors_data')))


@pytest.fixture(autouse=True)
def no_traceback_env(monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)


def clear_error(capsys, work_dir: str, *options: str,
                config: str = CONFIG) -> str:
    """Run the tool, check it stopped cleanly before training; the error."""
    return stopped_before_training(capsys, work_dir, *options, config=config)


def test_missing_teacher_checkpoint(data, tmp_path, capsys):
    missing = str(tmp_path / 'nope.pth')
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      f'model.teacher_ckpt={missing}')
    assert (f"building the model and runner failed: FileNotFoundError: "
            f"Teacher checkpoint not found: '{missing}'") in err
    assert 'tools/convert_repdistiller.py' in err


def test_checkpoint_of_another_architecture(data, tmp_path, capsys):
    # RepDistiller's key names, and one of ours with another shape
    other = str(tmp_path / 'resnet_repdistiller.pth')
    torch.save({'conv1.weight': torch.zeros(16, 3, 3, 3),
                'fc.weight': torch.zeros(100, 64),
                'head.fc.weight': torch.zeros(100, 16)}, other)
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      f'model.teacher_ckpt={other}')
    assert f"Teacher checkpoint '{other}' does not match" in err
    assert 'unexpected keys (2): conv1.weight, fc.weight' in err
    assert 'missing keys (' in err and 'backbone.conv1.weight' in err
    assert 'head.fc.weight (100, 16) != (2, 16)' in err
    assert 'python tools/convert_repdistiller.py SRC DST --model NAME' in err


def test_teacher_and_student_class_counts_differ(data, tmp_path, capsys):
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      'model.student.head.num_classes=3')
    assert ('loss_vrm compares student and teacher logits, but the student '
            'has 3 classes and the teacher 2') in err
    assert 'head.num_classes' in err


def test_unknown_loss_input_name(data, tmp_path, capsys):
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      'model.distill_losses.loss_vrm.inputs.s_real='
                      'student.logit')
    assert "unknown input name 'student.logit'" in err
    assert "Did you mean 'student.logits'" in err
    assert 'Valid names: student.logits, student.pre_logits' in err


def test_unregistered_loss_type(data, tmp_path, capsys):
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      'model.distill_losses.loss_vrm.type=VRMLos')
    assert ("distill_losses.loss_vrm: 'VRMLos' is not a registered "
            "component. Did you mean 'VRMLoss'") in err


def test_unregistered_connector_type(data, tmp_path, capsys):
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      'model.connectors.proj.type=LinearConector',
                      'model.connectors.proj.input=student.pre_logits')
    assert ("connectors.proj: 'LinearConector' is not a registered "
            "component. Did you mean 'LinearConnector'") in err


def test_unknown_distiller_key_in_a_config_file(data, tmp_path, capsys):
    config = tmp_path / 'typo.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n'
                      'model = dict(student_loss_weigth=0.5)\n')
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      config=str(config))
    assert ("SingleTeacherDistiller: unknown config key(s) "
            "['student_loss_weigth']. Did you mean "
            "'student_loss_weight'?") in err


def cli_train(work_dir: str, data: dict, *options: str, config=CONFIG):
    return run_tool([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', *data_options(data), *options
    ])


@pytest.mark.slow
def test_single_view_batch_for_a_virtual_view_loss(data, tmp_path):
    config = tmp_path / 'single_view.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='LoadImageFromFile', color_type='grayscale'),\n"
        "    dict(type='RandomCrop', crop_size=32, padding=4),\n"
        "    dict(type='PackInputs')]))\n")
    work_dir = str(tmp_path / 'work')
    result = cli_train(work_dir, data, config=str(config))
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert ("training failed: DistillDataError: loss_vrm reads "
            "'student.logits_virtual' (view 1), but the batch has 1 "
            'view(s).') in result.stderr
    assert 'configs/_base_/datasets/*_vrm.py' in result.stderr
    assert 'Epoch(train)' not in result.stdout + result.stderr
    assert checkpoints(work_dir) == []


def test_last_batch_of_one_sample_for_vrm(data, tmp_path, capsys):
    # 16 images in batches of 5 without drop_last: the 4th batch has 1;
    # known before the first iteration (PreflightHook), not at epoch end
    err = clear_error(capsys, str(tmp_path / 'work'), *data_options(data),
                      'train_dataloader.batch_size=5',
                      'train_dataloader.drop_last=False')
    assert ('training failed: PreflightError: loss_vrm (VRMLoss) needs at '
            'least 2 samples per batch, but the last batch of every epoch '
            'has 1') in err
    for hint in ('drop_last=True', 'batch size'):
        assert hint in err


@pytest.mark.parametrize('config', sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', '*.py'))))
def test_dataset_bases_drop_the_last_partial_batch(config):
    assert Config.fromfile(config).train_dataloader.drop_last is True
