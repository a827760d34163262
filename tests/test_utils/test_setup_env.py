"""register_all_modules, and the error for a vrm_mm name in another scope."""
import os
import os.path as osp
import textwrap
from collections import OrderedDict

import mmpretrain.registry
import pytest
import torch
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import DefaultScope
from tiny_config_helpers import save_teacher

from vrm_mm import registry
from vrm_mm.utils import register_all_modules, setup_env
from vrm_mm.utils.errors import WrongScopeError

MODEL = 'configs/_base_/models/cifar100/resnet20.py'


@pytest.fixture
def no_default_scope(monkeypatch):
    """No default scope, as in a fresh interpreter; restored afterwards."""
    monkeypatch.setattr(DefaultScope, '_instance_dict', OrderedDict())


def _readme_example() -> str:
    return textwrap.dedent(setup_env.__doc__.split('::\n', 1)[1].split(
        '\nWithout the default scope', 1)[0])


def test_readme_example_runs_a_loss_step(tmp_path, monkeypatch,
                                         no_default_scope):
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py'))
    # the example's working directory: the repository's configs and the
    # teacher checkpoint where the config expects it
    os.symlink(osp.join(REPO_ROOT, 'configs'), tmp_path / 'configs')
    os.makedirs(tmp_path / osp.dirname(cfg.model.teacher_ckpt))
    save_teacher(cfg.model.teacher.to_dict(),
                 str(tmp_path / cfg.model.teacher_ckpt))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(_readme_example(), namespace)
    losses = namespace['losses']
    assert {'loss_cls', 'loss_vrm_is', 'loss_vrm_ic'} <= set(losses)
    assert torch.isfinite(namespace['loss'])
    student = namespace['model'].student
    assert all(p.grad is not None for p in student.parameters())
    assert DefaultScope.get_current_instance().scope_name == 'vrm_mm'


def test_builds_from_python_need_the_scope(no_default_scope):
    model = Config.fromfile(osp.join(REPO_ROOT, MODEL)).model
    with pytest.raises(WrongScopeError,
                       match=r'CIFARResNet is a vrm_mm component.*'
                       r'register_all_modules\(init_default_scope=True\)'):
        registry.MODELS.build(model)
    register_all_modules()
    classifier = registry.MODELS.build(model)
    assert type(classifier.backbone).__name__ == 'CIFARResNet'


def test_mmpretrain_scope_names_the_qualified_type(no_default_scope):
    register_all_modules(init_default_scope=False)
    with pytest.raises(WrongScopeError, match="type='vrm_mm.CIFARResNet'"):
        mmpretrain.registry.MODELS.build(dict(type='CIFARResNet', depth=20))
    backbone = mmpretrain.registry.MODELS.build(
        dict(type='vrm_mm.CIFARResNet', depth=20))
    assert type(backbone).__module__ == 'vrm_mm.models.backbones.cifar_resnet'
    # mmpretrain's own names are untouched
    assert mmpretrain.registry.MODELS.get('ResNet').__module__.startswith(
        'mmpretrain')


def test_another_default_scope_is_replaced_with_a_warning(no_default_scope):
    DefaultScope.get_instance('other', scope_name='mmpretrain')
    with pytest.warns(UserWarning, match="makes it 'vrm_mm'"):
        register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'vrm_mm'


def test_scope_qualified_rewrites_only_our_types():
    names = setup_env.our_names()
    assert {'CIFARResNet', 'VRMLoss', 'EpochSeedHook'} <= names
    assert 'ImageClassifier' not in names
    cfg = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet'),
               hooks=[dict(type='EpochSeedHook'), dict(type='vrm_mm.X')])
    assert setup_env.scope_qualified(cfg, names) == dict(
        type='ImageClassifier', backbone=dict(type='vrm_mm.CIFARResNet'),
        hooks=[dict(type='vrm_mm.EpochSeedHook'), dict(type='vrm_mm.X')])


def test_readme_shows_the_tested_example():
    """The README's Python example is the one the test above runs."""
    with open(osp.join(REPO_ROOT, 'README.md')) as f:
        readme = f.read()
    assert _readme_example().strip() in readme
