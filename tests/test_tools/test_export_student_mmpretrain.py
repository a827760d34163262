"""An exported student through mmpretrain's own APIs (CPU, tiny).

A VRM ResNet56 -> ResNet20 distiller checkpoint (the real config, random
student weights, real CIFAR-100 test images of the ``foolbox`` wheel) is
exported by ``tools/export_student.py``, once as trained on CIFAR pickles
(the dataset decodes RGB arrays, ``to_rgb=False``) and once as trained on
an image folder (``LoadImageFromFile``: BGR, ``to_rgb=True``). For both, the
standalone config it writes must give the scores the student gives on the
images as training fed them, through ``tools/test.py --out``, mmpretrain's
``ImageClassificationInferencer`` given file paths or arrays read with
``mmcv.imread(path)`` (the README's way), and ``init_model``.
"""
import os
import os.path as osp
import pickle
import subprocess
import sys

import mmcv
import numpy as np
import pytest
import torch
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.apis import ImageClassificationInferencer, init_model
from tiny_config_helpers import FOOLBOX_DATA, save_teacher, tiny_loader

from vrm_mm.registry import MODELS

CONFIG = 'configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py'
IMAGES = 6
PATHS = sorted(
    osp.join(FOOLBOX_DATA, name) for name in os.listdir(FOOLBOX_DATA)
    if name.startswith('cifar100_'))[:IMAGES]


def run(args: list) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def image_folder_loader(loader: dict, base) -> dict:
    """The test images read from files, as an image-folder dataset does."""
    ann_file = base / 'test.txt'
    ann_file.write_text(''.join(
        f'{osp.basename(p)} {osp.splitext(p)[0].rsplit("_", 1)[1]}\n'
        for p in PATHS))
    return dict(loader, batch_size=IMAGES, num_workers=0,
                persistent_workers=False,
                dataset=dict(type='CustomDataset', data_root=FOOLBOX_DATA,
                             ann_file=str(ann_file), data_prefix='',
                             pipeline=[dict(type='LoadImageFromFile'),
                                       dict(type='PackInputs')]))


@pytest.fixture(scope='module', params=['cifar_pickles', 'image_folder'])
def exported(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f'export_{request.param}')
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    if request.param == 'cifar_pickles':
        # RGB arrays decoded by the dataset, as CIFAR100's pickles give
        cfg.test_dataloader = tiny_loader(cfg.test_dataloader.to_dict())
        cfg.test_dataloader.dataset.indices = IMAGES
        # what the student saw in training: RGB arrays, to_rgb=False
        trained_on = [mmcv.imread(p, channel_order='rgb') for p in PATHS]
    else:
        cfg.test_dataloader = image_folder_loader(
            cfg.test_dataloader.to_dict(), base)
        cfg.data_preprocessor.to_rgb = True  # as an ImageNet config
        trained_on = [mmcv.imread(p) for p in PATHS]  # BGR
    cfg.val_dataloader = cfg.test_dataloader
    cfg.model.teacher_ckpt = save_teacher(cfg.model.teacher.to_dict(),
                                          str(base / 'teacher.pth'))
    init_default_scope('vrm_mm')
    distiller = MODELS.build(
        dict(cfg.model.to_dict(), data_preprocessor=cfg.data_preprocessor))
    distiller.init_weights()
    distiller.eval()
    batch = distiller.data_preprocessor(dict(inputs=[
        torch.from_numpy(i).permute(2, 0, 1) for i in trained_on]))
    with torch.no_grad():
        truth = distiller.student(batch['inputs'], mode='tensor').softmax(1)
    ckpt = str(base / 'epoch_1.pth')
    torch.save(dict(state_dict=distiller.state_dict(),
                    meta=dict(cfg=cfg.pretty_text, epoch=1)), ckpt)
    out = str(base / 'student.pth')
    result = run(['tools/export_student.py', ckpt, out])
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'its mmpretrain config: {base / "student.py"}' in result.stdout
    return dict(base=base, pth=out, config=str(base / 'student.py'),
                kind=request.param, truth=truth)


@pytest.mark.slow
def test_student_config_is_scope_qualified(exported):
    cfg = Config.fromfile(exported['config'])
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(
        imports=['vrm_mm', 'vrm_mm.datasets.bgr_arrays'],
        allow_failed_imports=False)
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.backbone.type == 'vrm_mm.CIFARResNet'
    preprocessor = cfg.model.data_preprocessor
    assert preprocessor.type == 'ClsDataPreprocessor'
    # its preprocessing, for BGR images (mmcv's order, the inferencer's)
    assert preprocessor.to_rgb is True
    torch.testing.assert_close(
        torch.tensor(preprocessor.mean),
        torch.tensor([0.5071 * 255, 0.4867 * 255, 0.4408 * 255]))
    dataset = cfg.test_dataloader.dataset
    if exported['kind'] == 'cifar_pickles':
        # the RGB arrays reach the student in BGR, as files would
        assert dataset.type == 'vrm_mm.BGRArrays'
        assert dataset.dataset.type == 'vrm_mm.FilenameLabelledImages'
        assert dataset.dataset.pipeline == []
    else:
        assert dataset.type == 'CustomDataset'
    assert cfg.default_hooks.epoch_seed.type == 'vrm_mm.EpochSeedHook'
    assert cfg.load_from == exported['pth']
    for key in ('train_dataloader', 'optim_wrapper', 'custom_hooks'):
        assert key not in cfg


@pytest.mark.slow
def test_mmpretrain_inferencer_predicts_as_tools_test(exported):
    dump = str(exported['base'] / 'preds.pkl')
    result = run(['tools/test.py', exported['config'], exported['pth'],
                  '--out', dump, '--work-dir', str(exported['base'] / 'w')])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(dump, 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == IMAGES
    assert [int(osp.splitext(p)[0].rsplit('_', 1)[1]) for p in PATHS] == [
        int(d['gt_label']) for d in dumped]
    expected = torch.stack([d['pred_score'] for d in dumped])
    # the scores of the student on the images as training fed them
    torch.testing.assert_close(expected, exported['truth'], rtol=0,
                               atol=1e-6)
    # not a constant classifier: the images get different scores
    assert not torch.allclose(expected[0], expected[1])

    inferencer = ImageClassificationInferencer(
        model=exported['config'], pretrained=exported['pth'])
    # file paths, and arrays read as the README says (mmcv.imread: BGR)
    images = [mmcv.imread(p) for p in PATHS]
    for inputs in (PATHS, images):
        results = inferencer(inputs, batch_size=IMAGES)
        scores = torch.from_numpy(
            np.stack([r['pred_scores'] for r in results]))
        torch.testing.assert_close(scores, expected, rtol=0, atol=1e-6)

    model = init_model(exported['config'], exported['pth'])
    batch = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(i).permute(2, 0, 1) for i in images]))
    with torch.no_grad():
        logits = model(batch['inputs'], mode='tensor')
    torch.testing.assert_close(logits.softmax(1), expected, rtol=0,
                               atol=1e-6)
