"""An unregistered ``type`` anywhere in a config is explained: the closest
registered names and how to register one's own class."""
import os.path as osp

import pytest
from conftest import REPO_ROOT
from mmengine.registry import init_default_scope

from vrm_mm.registry import DATASETS, HOOKS, MODELS, TRANSFORMS
from vrm_mm.runtime.cli import TRACEBACK_ENV, clear_errors
from vrm_mm.utils.registry_hint import (
    TUTORIAL,
    own_class_hint,
    registered_names,
    unregistered_type_message,
)


def build_error(registry, cfg: dict) -> KeyError:
    init_default_scope('vrm_mm')
    with pytest.raises(KeyError) as error:
        registry.build(cfg)
    return error.value


@pytest.mark.parametrize('registry,cfg,scope,close,variable', [
    (DATASETS, dict(type='CustomDatset'), 'vrm_mm::dataset',
     "'CustomDataset'", 'DATASETS'),
    (TRANSFORMS, dict(type='PackInput'), 'vrm_mm::transform',
     "'PackInputs'", 'TRANSFORMS'),
    (HOOKS, dict(type='TeacherEvalHok'), 'vrm_mm::hook',
     "'TeacherEvalHook'", 'HOOKS'),
    # a misspelt part inside a model: mmengine builds it nested
    (MODELS, dict(type='ImageClassifier', backbone=dict(type='ResNt')),
     'vrm_mm::model', "'ResNet'", 'MODELS'),
])
def test_mmengine_key_error_is_explained(registry, cfg, scope, close,
                                         variable):
    error = build_error(registry, cfg)
    message = unregistered_type_message(error)
    kind = cfg.get('backbone', cfg)['type']
    assert message.startswith(f'{kind!r} is not in the {scope} registry.')
    assert f'Did you mean {close}' in message
    assert f'@{variable}.register_module()' in message
    assert ("custom_imports = dict(imports=['my_package'], "
            'allow_failed_imports=False)') in message
    assert 'docs/tutorials/add_a_loss.md' in message


def test_no_close_name_still_says_how_to_register():
    message = unregistered_type_message(
        build_error(MODELS, dict(type='Zzzqqq')))
    assert 'Did you mean' not in message
    assert message.endswith(own_class_hint('Zzzqqq', 'MODELS').lstrip())


@pytest.mark.parametrize('error', [
    KeyError('loss_kd'), ValueError('X is not in the vrm_mm::model '
                                    'registry. Please check'), KeyError()])
def test_other_errors_are_left_alone(error):
    assert unregistered_type_message(error) is None


def test_the_hint_names_an_existing_tutorial():
    assert osp.isfile(osp.join(REPO_ROOT, TUTORIAL))
    assert TUTORIAL in own_class_hint('X')


def test_registered_names_include_the_parents():
    init_default_scope('vrm_mm')
    MODELS.get('KDLoss')  # imports the registries' locations
    names = registered_names(MODELS)
    assert {'KDLoss', 'SingleTeacherDistiller'} <= set(names)  # vrm_mm's
    assert 'ImageClassifier' in names  # mmpretrain's


def test_clear_errors_explains_one_at_any_stage(capsys, monkeypatch):
    # the training stage catches only (FileNotFoundError, VrmMmError), but
    # datasets, transforms, optimizers and metrics are built there
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    init_default_scope('vrm_mm')
    with pytest.raises(SystemExit) as exit_:
        with clear_errors('training', (FileNotFoundError, )):
            DATASETS.build(dict(type='CustomDatset'))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert ("training failed: KeyError: 'CustomDatset' is not in the "
            "vrm_mm::dataset registry. Did you mean 'CustomDataset'") in err
    assert '@DATASETS.register_module()' in err


def test_clear_errors_keeps_other_errors_of_other_kinds(monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    with pytest.raises(KeyError):
        with clear_errors('training', (FileNotFoundError, )):
            raise KeyError('loss_kd')
