"""vrm_mm is packaged like an OpenMMLab codebase.

Every experiment config is listed in exactly one ``metafile.yml`` of the
model index, with its published top-1 where there is one; a wheel installed
without the checkout carries the configs, tools and model index in
``vrm_mm/.mim``, where openmim and mmengine's ``vrm_mm::`` scope read them.
"""
import glob
import json
import os
import os.path as osp
import re

import pytest
import yaml
from packaging_helpers import REPO_ROOT, installed_wheel, run

# Config folders that list no models: _base_ holds fragments, demo the
# Fashion-MNIST demonstration (tools/demo.py), own_data templates for a
# user's own images. Everything else, VRM's ablations included, is indexed.
NOT_INDEXED = ('_base_', 'demo', 'own_data')
DATASETS = ('CIFAR-100', 'ImageNet-1k')


def rel(path: str) -> str:
    return osp.relpath(path, REPO_ROOT)


def load(path: str):
    with open(osp.join(REPO_ROOT, path)) as f:
        return yaml.safe_load(f)


def indexed_configs():
    return sorted(
        rel(path) for path in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
        if rel(path).split(os.sep)[1] not in NOT_INDEXED)


def metafiles():
    return sorted(rel(path) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', 'metafile.yml'),
        recursive=True))


def models():
    """(metafile, model) for every model of every metafile."""
    return [(path, model) for path in metafiles()
            for model in load(path)['Models']]


def test_model_index_imports_every_metafile():
    index = load('model-index.yml')['Import']
    assert sorted(index) == metafiles()
    assert len(index) == len(set(index))


def test_every_config_is_listed_once():
    listed = [model['Config'] for _, model in models()]
    duplicates = {path for path in listed if listed.count(path) > 1}
    assert not duplicates, f'listed more than once: {sorted(duplicates)}'
    missing = sorted(set(indexed_configs()) - set(listed))
    assert not missing, (
        f'configs in no metafile.yml: {missing}; add each to the metafile '
        'of its folder (and its published top-1, if any)')
    stray = sorted(set(listed) - set(indexed_configs()))
    assert not stray, f'metafiles list configs that do not exist: {stray}'


def test_each_metafile_lists_its_own_folder():
    for path, model in models():
        folder = osp.dirname(path)
        assert osp.dirname(model['Config']).startswith(folder), (path, model)
        assert model['Name'] == osp.basename(model['Config'])[:-3]


def test_models_are_well_formed():
    for path in metafiles():
        meta = load(path)
        collections = {c['Name']: c for c in meta['Collections']}
        for collection in collections.values():
            assert collection['Paper']['URL'].startswith('https://')
        for model in meta['Models']:
            where = f'{path}: {model["Name"]}'
            assert model['In Collection'] in collections, where
            data = model['Metadata']['Training Data']
            assert data in DATASETS, where
            assert ('imagenet' in model['Name']) == (data == 'ImageNet-1k')
            for result in model.get('Results', []):
                assert result['Task'] == 'Image Classification', where
                assert result['Dataset'] == data, where
                top1 = result['Metrics']['Top 1 Accuracy']
                assert isinstance(top1, float) and 0 < top1 < 100, where
                # a published number always names its source
                assert model['Metadata']['Reference'], where
                assert model['Metadata']['Reference Epoch'] in (
                    'best', 'last', 'not stated'), where


def test_published_numbers_agree_with_the_config_headers():
    """A config whose header cites "reference X" lists X, and only X."""
    checked = 0
    for _, model in models():
        with open(osp.join(REPO_ROOT, model['Config'])) as f:
            header = ''.join(line for line in f if line.startswith('#'))
        cited = set(re.findall(r'reference (\d+\.\d+)', header))
        listed = {f'{r["Metrics"]["Top 1 Accuracy"]:.2f}'
                  for r in model.get('Results', [])}
        if cited:
            assert listed == cited, (model['Config'], cited, listed)
            checked += 1
    assert checked > 100


def test_model_index_loads_with_openmmlab_model_index():
    modelindex = pytest.importorskip('modelindex')
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        index = modelindex.load('model-index.yml')
        assert index.check(silent=True) == []
        assert len(index.models) == len(models())
    finally:
        os.chdir(cwd)


# Run by the fresh env's python outside the checkout: the packaged config
# read directly, through mmengine's hub and as a `_base_`, and the networks
# it names by `cfg_path` found in the package.
CHECK = r'''
import json, os, os.path as osp, sys
import vrm_mm
from mmengine.config import Config
from mmengine.hub import get_config
from vrm_mm.models.distillers import load_model_cfg

mim = osp.join(osp.dirname(vrm_mm.__file__), '.mim')
name = 'vrm/vrm_resnet56_resnet20_240e_cifar100.py'
direct = Config.fromfile(osp.join(mim, 'configs', name))
# `import vrm_mm` adds vrm_mm to mmengine's table of packages with configs
hub = get_config('vrm_mm::' + name)
with open('user_config.py', 'w') as f:
    f.write(f"_base_ = ['vrm_mm::{name}']\n"
            "model = dict(teacher_ckpt='t.pth')\n")
user = Config.fromfile('user_config.py')
student = load_model_cfg(direct.model.student, 'student')
print(json.dumps(dict(
    package=vrm_mm.__file__,
    editable=[m for m in sys.modules if m.startswith('__editable__')],
    mim=sorted(os.listdir(mim)),
    config=osp.realpath(direct.filename),
    hub=osp.realpath(hub.filename),
    hub_model=hub.model.to_dict() == direct.model.to_dict(),
    user_student=user.model.student == direct.model.student,
    user_teacher_ckpt=user.model.teacher_ckpt,
    student=student['backbone'])))
'''


@pytest.mark.slow
def test_wheel_carries_configs_tools_and_model_index(tmp_path,
                                                     tmp_path_factory):
    python = installed_wheel(tmp_path_factory)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    result = run([python, '-c', CHECK], cwd=str(elsewhere),
                 env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=300)
    found = json.loads(result.stdout.strip().splitlines()[-1])

    venv = osp.realpath(osp.dirname(osp.dirname(python)))
    assert osp.realpath(found['package']).startswith(venv + os.sep)
    assert not found['editable']
    assert found['mim'] == ['configs', 'model-index.yml', 'tools']
    mim_config = osp.join(
        osp.dirname(osp.realpath(found['package'])), '.mim', 'configs', 'vrm',
        'vrm_resnet56_resnet20_240e_cifar100.py')
    assert found['config'] == found['hub'] == mim_config
    assert found['hub_model'] and found['user_student']
    assert found['user_teacher_ckpt'] == 't.pth'
    assert found['student']['depth'] == 20
    # the packaged tools and model index: every metafile, every config
    mim = osp.dirname(osp.dirname(osp.dirname(mim_config)))
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))
    for path, model in models():
        assert osp.isfile(osp.join(mim, path))
        assert osp.isfile(osp.join(mim, model['Config']))
