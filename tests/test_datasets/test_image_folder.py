"""ImageFolderDataset: one class list for every split, checked; and the
top-level num_classes / data_root that every consumer follows."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.datasets import CustomDataset
from PIL import Image

from vrm_mm.datasets import ImageFolderDataset
from vrm_mm.datasets.image_folder import (
    ClassListError,
    check_class_lists,
    check_same_classes,
)
from vrm_mm.registry import DATASETS, MODELS
from vrm_mm.runtime.shared_variables import propagate_shared_variables
from vrm_mm.utils.errors import VrmMmError

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TEACHER = 'configs/own_data/ce_resnet18_100e_own_data.py'
VRM = 'configs/own_data/vrm_resnet18_mobilenetv2_100e_own_data.py'


def write_images(root, classes, per_class=2) -> None:
    """``root/<class>/<i>.png``, 8 x 8 RGB."""
    for name in classes:
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(np.full((8, 8, 3), 10 * i, np.uint8)).save(
                osp.join(root, name, f'{i}.png'))


@pytest.fixture
def data(tmp_path):
    write_images(str(tmp_path / 'train'), ['cat', 'dog', 'fox'])
    return tmp_path


def folder(data, prefix, **kwargs) -> ImageFolderDataset:
    return ImageFolderDataset(data_root=str(data), data_prefix=prefix,
                              **kwargs)


def labels_by_class(dataset) -> dict:
    classes = dataset.metainfo['classes']
    return {
        osp.basename(osp.dirname(item['img_path'])):
        classes[item['gt_label']] if classes else item['gt_label']
        for item in (dataset.get_data_info(i) for i in range(len(dataset)))
    }


def test_val_labels_follow_the_train_list(data):
    """val/ without 'dog': CustomDataset calls 'fox' class 1 (the train
    set's 'dog'), ImageFolderDataset class 2 as train/ does."""
    write_images(str(data / 'val'), ['cat', 'fox'])
    plain = CustomDataset(data_root=str(data), data_prefix='val')
    assert plain.get_data_info(len(plain) - 1)['gt_label'] == 1
    train = folder(data, 'train')
    val = folder(data, 'val', classes_from='train',
                 allow_missing_classes=True)
    assert train.metainfo['classes'] == val.metainfo['classes'] == (
        'cat', 'dog', 'fox')
    assert sorted({item['gt_label'] for item in val.load_data_list()}) == [
        0, 2]
    assert labels_by_class(val) == {'cat': 'cat', 'fox': 'fox'}


def test_missing_val_class_is_an_error_naming_it(data):
    write_images(str(data / 'val'), ['cat', 'fox'])
    with pytest.raises(ClassListError) as error:
        folder(data, 'val', classes_from='train')
    message = str(error.value)
    assert "'dog'" in message and "'cat'" not in message
    assert 'allow_missing_classes=True' in message
    assert isinstance(error.value, VrmMmError)


def test_empty_class_folder_counts_as_missing(data):
    write_images(str(data / 'val'), ['cat', 'dog', 'fox'])
    for name in os.listdir(data / 'val' / 'fox'):
        os.remove(data / 'val' / 'fox' / name)
    with pytest.raises(ClassListError, match="'fox'"):
        folder(data, 'val', classes_from='train')


def test_extra_val_class_is_an_error_naming_it(data):
    write_images(str(data / 'val'), ['cat', 'dog', 'fox', 'zebra'])
    with pytest.raises(ClassListError) as error:
        folder(data, 'val', classes_from='train',
               allow_missing_classes=True)
    assert "'zebra'" in str(error.value)
    assert 'no output' in str(error.value)


def test_class_count_must_be_num_classes(data):
    assert len(folder(data, 'train', num_classes=3)) == 6
    with pytest.raises(ClassListError, match='set num_classes=3'):
        folder(data, 'train', num_classes=10)


def test_missing_folder_and_bad_classes_from(data):
    with pytest.raises(ClassListError, match='does not exist'):
        folder(data, 'nowhere')
    os.makedirs(data / 'flat')
    with pytest.raises(ClassListError, match='no class subfolder'):
        folder(data, 'flat', num_classes=3)
    write_images(str(data / 'val'), ['cat'])
    with pytest.raises(ClassListError, match='classes_from'):
        folder(data, 'val', classes_from='trian')


def test_classes_option_names_the_list(data):
    train = folder(data, 'train', classes=['fox', 'dog', 'cat'])
    assert labels_by_class(train) == {'cat': 'cat', 'dog': 'dog',
                                      'fox': 'fox'}
    assert train.get_data_info(0)['gt_label'] == 2  # cat, listed last


def write_ann(path, lines) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def test_annotation_files_are_compared_by_label(data):
    write_images(str(data / 'val'), ['cat', 'dog', 'fox'])
    write_ann(str(data / 'meta' / 'train.txt'),
              ['cat/0.png 0', 'dog/0.png 1', 'fox/0.png 2'])
    write_ann(str(data / 'meta' / 'val.txt'), ['cat/0.png 0', 'fox/0.png 2'])
    kwargs = dict(data_prefix='val', classes_from='meta/train.txt')
    with pytest.raises(ClassListError, match="'dog'"):
        ImageFolderDataset(data_root=str(data), ann_file='meta/val.txt',
                           classes=['cat', 'dog', 'fox'], **kwargs)
    with pytest.raises(ClassListError, match="'label 1'"):
        ImageFolderDataset(data_root=str(data), ann_file='meta/val.txt',
                           **kwargs)
    val = ImageFolderDataset(data_root=str(data), ann_file='meta/val.txt',
                             allow_missing_classes=True, num_classes=3,
                             **kwargs)
    assert [item['gt_label'] for item in val.load_data_list()] == [0, 2]
    # class names from the train folder, as the folder layout's
    by_folder = ImageFolderDataset(
        data_root=str(data), ann_file='meta/val.txt', data_prefix='val',
        classes_from='train', allow_missing_classes=True)
    assert by_folder.metainfo['classes'] == ('cat', 'dog', 'fox')
    with pytest.raises(ClassListError, match="'dog'"):
        ImageFolderDataset(data_root=str(data), ann_file='meta/val.txt',
                           data_prefix='val', classes_from='train')
    write_ann(str(data / 'meta' / 'val.txt'), ['cat/0.png 0', 'fox/0.png 3'])
    with pytest.raises(ClassListError, match="'label 3'"):
        ImageFolderDataset(data_root=str(data), ann_file='meta/val.txt',
                           allow_missing_classes=True, **kwargs)


def test_check_class_lists():
    check_class_lists(['a', 'b'], ['b', 'a'], reference_name='train',
                      found_name='val')
    check_class_lists(['a', 'b'], ['a'], reference_name='train',
                      found_name='val', allow_missing=True)
    with pytest.raises(ClassListError, match="'c'"):
        check_class_lists(['a', 'b'], ['a', 'b', 'c'],
                          reference_name='train', found_name='val',
                          allow_missing=True)
    with pytest.raises(ClassListError) as error:  # both named at once
        check_class_lists(['a', 'b'], ['a', 'c'], reference_name='train',
                          found_name='val', missing_fix='OPTION')
    assert all(part in str(error.value) for part in ("'b'", "'c'", 'OPTION'))


def test_check_same_classes_of_built_datasets(data):
    """The pre-flight form: two plain CustomDatasets whose folders differ."""
    write_images(str(data / 'val'), ['cat', 'fox'])
    train = CustomDataset(data_root=str(data), data_prefix='train')
    val = CustomDataset(data_root=str(data), data_prefix='val')
    with pytest.raises(ClassListError, match="'dog'"):
        check_same_classes(train, val, 'val')
    check_same_classes(train, train, 'val')
    shuffled = CustomDataset(data_root=str(data), data_prefix='train',
                             metainfo=dict(classes=('dog', 'cat', 'fox')))
    with pytest.raises(ClassListError, match='another order'):
        check_same_classes(train, shuffled, 'test')


def test_registered_and_built_from_a_config(data):
    write_images(str(data / 'val'), ['cat', 'dog', 'fox'])
    init_default_scope('vrm_mm')
    val = DATASETS.build(dict(type='ImageFolderDataset', data_root=str(data),
                              data_prefix='val', classes_from='train'))
    assert len(val) == 6


# -- num_classes and data_root set once -----------------------------------


def consumers(cfg) -> dict:
    """Every place the class count is read from, in a merged config."""
    found = {'data_preprocessor': cfg.data_preprocessor.num_classes}
    model = cfg.model
    if 'student' in model:
        found['student'] = model.student.head.num_classes
        found['teacher'] = model.teacher.head.num_classes
    else:
        found['head'] = model.head.num_classes
    for split in ('train', 'val', 'test'):
        found[split] = cfg[f'{split}_dataloader'].dataset.get('num_classes')
    return found


@pytest.mark.parametrize('config', [TEACHER, VRM])
def test_num_classes_once_in_a_child_config(config, tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = '{osp.join(REPO_ROOT, config)}'\n"
                     "num_classes = 4\n"
                     "data_root = '/my/images'\n")
    cfg = Config.fromfile(str(child))
    propagate_shared_variables(cfg)
    assert set(consumers(cfg).values()) == {4}
    roots = {cfg[f'{split}_dataloader'].dataset.data_root
             for split in ('train', 'val', 'test')}
    assert roots == {'/my/images'}


@pytest.mark.parametrize('config', [TEACHER, VRM])
def test_num_classes_once_by_cfg_options(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    before = set(consumers(cfg).values()) - {None}
    assert before == {cfg.num_classes}
    options = dict(num_classes=7)
    cfg.merge_from_dict(options)
    changes = propagate_shared_variables(cfg, options)
    assert set(consumers(cfg).values()) == {7}
    assert any(change.startswith('data_preprocessor.num_classes')
               for change in changes)
    assert propagate_shared_variables(cfg, options) == []  # idempotent


def test_built_networks_follow_num_classes():
    """The heads built from the resolved config have num_classes outputs
    (the teacher's comes from its own training config via cfg_path)."""
    from vrm_mm.models.distillers import load_model_cfg
    cfg = Config.fromfile(osp.join(REPO_ROOT, VRM))
    cfg.merge_from_dict(dict(num_classes=5))
    propagate_shared_variables(cfg, dict(num_classes=5))
    init_default_scope('vrm_mm')
    for role in ('student', 'teacher'):
        net = MODELS.build(load_model_cfg(cfg.model[role].to_dict(), role))
        assert net.head.fc.out_features == 5, role


def test_conflicting_override_names_the_variable():
    cfg = Config.fromfile(osp.join(REPO_ROOT, TEACHER))
    options = {'model.head.num_classes': 5}
    cfg.merge_from_dict(options)
    with pytest.raises(ClassListError, match='set num_classes=5'):
        propagate_shared_variables(cfg, options)


@pytest.mark.parametrize('value', [0, '3', True])
def test_num_classes_must_be_a_positive_int(value):
    cfg = Config.fromfile(osp.join(REPO_ROOT, TEACHER))
    cfg.num_classes = value
    with pytest.raises(ClassListError, match='positive integer'):
        propagate_shared_variables(cfg)


def test_configs_without_the_variables_are_untouched():
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py'))
    cfg.merge_from_dict(dict(data_root='elsewhere'))
    before = cfg.to_dict()
    assert propagate_shared_variables(cfg, dict(data_root='elsewhere')) == []
    # data_root follows image-folder datasets only
    assert cfg.to_dict() == before
    assert cfg.train_dataloader.dataset.data_root == 'data/cifar100'
