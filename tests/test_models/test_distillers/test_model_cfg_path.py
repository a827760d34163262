"""``student``/``teacher`` given as ``dict(cfg_path=..., **overrides)``."""
import os

import pytest
import torch
from distill_helpers import build, distiller_cfg, save_teacher
from mmengine.config import Config

from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.models.distillers.build import REPO_ROOT

RESNET56 = 'configs/_base_/models/cifar100/resnet56.py'


def _num_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_repo_root_holds_the_configs():
    assert os.path.isfile(os.path.join(REPO_ROOT, RESNET56))


def test_without_cfg_path_the_config_is_unchanged():
    cfg = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet'))
    assert load_model_cfg(cfg, 'student') is cfg


def test_reads_the_model_of_the_file_relative_to_the_repo_root(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ here: falls back to the repo
    want = Config.fromfile(os.path.join(REPO_ROOT, RESNET56)).model.to_dict()
    assert load_model_cfg(dict(cfg_path=RESNET56), 'teacher') == want


def test_the_working_directory_comes_first(tmp_path, monkeypatch):
    (tmp_path / 'configs/_base_/models/cifar100').mkdir(parents=True)
    (tmp_path / RESNET56).write_text(
        "model = dict(type='ImageClassifier', marker='cwd')\n")
    monkeypatch.chdir(tmp_path)
    assert load_model_cfg(dict(cfg_path=RESNET56), 'teacher')['marker'] == (
        'cwd')


def test_absolute_path(tmp_path):
    path = tmp_path / 'net.py'
    path.write_text("model = dict(type='ImageClassifier', depth=3)\n")
    assert load_model_cfg(dict(cfg_path=str(path)), 'student') == dict(
        type='ImageClassifier', depth=3)


def test_other_keys_merge_into_the_file_model():
    cfg = load_model_cfg(
        dict(cfg_path=RESNET56, head=dict(num_classes=10),
             backbone=dict(in_channels=1)), 'student')
    assert cfg['head']['num_classes'] == 10
    assert cfg['head']['in_channels'] == 64  # kept from the file
    assert cfg['backbone'] == dict(type='CIFARResNet', depth=56,
                                   in_channels=1)


def test_delete_replaces_a_nested_dict():
    cfg = load_model_cfg(
        dict(cfg_path=RESNET56,
             backbone=dict(_delete_=True, type='CIFARResNet', depth=20)),
        'student')
    assert cfg['backbone'] == dict(type='CIFARResNet', depth=20)


def test_the_caller_dict_is_not_modified():
    cfg = dict(cfg_path=RESNET56, head=dict(num_classes=10))
    load_model_cfg(cfg, 'student')
    assert cfg == dict(cfg_path=RESNET56, head=dict(num_classes=10))


def test_package_prefix_reads_mmpretrain_configs():
    cfg = load_model_cfg(
        dict(cfg_path='mmpretrain::_base_/models/resnet18.py',
             head=dict(num_classes=100)), 'student')
    assert cfg['backbone']['type'] == 'ResNet'
    assert cfg['backbone']['depth'] == 18
    assert cfg['head']['num_classes'] == 100


def test_missing_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        load_model_cfg(dict(cfg_path='configs/nope.py'), 'teacher')
    message = str(error.value)
    assert "teacher.cfg_path='configs/nope.py'" in message
    assert str(tmp_path / 'configs/nope.py') in message
    assert os.path.join(REPO_ROOT, 'configs/nope.py') in message


def test_missing_package_config_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match='student.cfg_path'):
        load_model_cfg(dict(cfg_path='mmpretrain::_base_/models/nope.py'),
                       'student')


def test_file_without_model_is_a_clear_error(tmp_path):
    path = tmp_path / 'schedule.py'
    path.write_text('lr = 0.1\n')
    with pytest.raises(ValueError, match='defines no `model`'):
        load_model_cfg(dict(cfg_path=str(path)), 'teacher')


def test_non_string_path_is_a_type_error():
    with pytest.raises(TypeError, match='teacher.cfg_path'):
        load_model_cfg(dict(cfg_path=3), 'teacher')


def test_distiller_builds_both_networks_from_files(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    teacher = dict(cfg_path=RESNET56, head=dict(num_classes=10))
    state = save_teacher(ckpt, load_model_cfg(teacher, 'teacher'))
    model = build(
        distiller_cfg(
            ckpt,
            student=dict(cfg_path='configs/_base_/models/cifar100/resnet8.py',
                         head=dict(num_classes=10)),
            teacher=teacher))
    assert _num_params(model.student) == 83_892 - 90 * 65  # 10, not 100
    assert model.teacher.backbone.depth == 56
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, state[key])
    logits = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)
