"""tools/export_student.py checks against a student given by ``cfg_path``."""
import importlib.util
import os.path as osp

import pytest
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS

_SPEC = importlib.util.spec_from_file_location(
    'export_student', osp.join(REPO_ROOT, 'tools', 'export_student.py'))
export_student = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(export_student)

STUDENT = dict(cfg_path='configs/_base_/models/cifar100/resnet8.py')


def _config(student: dict) -> Config:
    return Config(dict(default_scope='vrm_mm', model=dict(
        type='SingleTeacherDistiller', student=student)))


def test_student_from_a_config_file_is_checked():
    init_default_scope('vrm_mm')
    weights = MODELS.build(load_model_cfg(STUDENT, 'student')).state_dict()
    export_student.check_loads(weights, _config(STUDENT))
    deeper = dict(STUDENT, backbone=dict(depth=14))
    with pytest.raises(ValueError, match='do not match model.student'):
        export_student.check_loads(weights, _config(deeper))
