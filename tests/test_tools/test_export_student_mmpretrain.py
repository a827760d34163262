"""An exported student through mmpretrain's own APIs (CPU, tiny).

A VRM ResNet56 -> ResNet20 distiller checkpoint (the real config, random
student weights, real CIFAR-100 test images of the ``foolbox`` wheel) is
exported by ``tools/export_student.py``; the standalone config it writes must
give the same class scores through ``tools/test.py --out``, mmpretrain's
``ImageClassificationInferencer`` and ``init_model``.
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


def run(args: list) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp('export')
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    cfg.test_dataloader = tiny_loader(cfg.test_dataloader.to_dict())
    cfg.test_dataloader.dataset.indices = IMAGES
    cfg.model.teacher_ckpt = save_teacher(cfg.model.teacher.to_dict(),
                                          str(base / 'teacher.pth'))
    init_default_scope('vrm_mm')
    distiller = MODELS.build(
        dict(cfg.model.to_dict(), data_preprocessor=cfg.data_preprocessor))
    distiller.init_weights()
    ckpt = str(base / 'epoch_1.pth')
    torch.save(dict(state_dict=distiller.state_dict(),
                    meta=dict(cfg=cfg.pretty_text, epoch=1)), ckpt)
    out = str(base / 'student.pth')
    result = run(['tools/export_student.py', ckpt, out])
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'its mmpretrain config: {base / "student.py"}' in result.stdout
    return dict(base=base, pth=out, config=str(base / 'student.py'))


def test_student_config_is_scope_qualified(exported):
    cfg = Config.fromfile(exported['config'])
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(imports=['vrm_mm'],
                                      allow_failed_imports=False)
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.backbone.type == 'vrm_mm.CIFARResNet'
    assert cfg.model.data_preprocessor.type == 'ClsDataPreprocessor'
    assert cfg.test_dataloader.dataset.type == 'vrm_mm.FilenameLabelledImages'
    assert cfg.default_hooks.epoch_seed.type == 'vrm_mm.EpochSeedHook'
    assert cfg.load_from == exported['pth']
    for key in ('train_dataloader', 'optim_wrapper', 'custom_hooks'):
        assert key not in cfg


def test_mmpretrain_inferencer_predicts_as_tools_test(exported):
    dump = str(exported['base'] / 'preds.pkl')
    result = run(['tools/test.py', exported['config'], exported['pth'],
                  '--out', dump, '--work-dir', str(exported['base'] / 'w')])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(dump, 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == IMAGES
    paths = sorted(
        osp.join(FOOLBOX_DATA, name) for name in os.listdir(FOOLBOX_DATA)
        if name.startswith('cifar100_'))[:IMAGES]
    assert [int(osp.splitext(p)[0].rsplit('_', 1)[1]) for p in paths] == [
        int(d['gt_label']) for d in dumped]
    expected = torch.stack([d['pred_score'] for d in dumped])

    # the CIFAR pipeline's arrays: RGB, as the dataset decodes them
    images = [mmcv.imread(p, channel_order='rgb') for p in paths]
    inferencer = ImageClassificationInferencer(
        model=exported['config'], pretrained=exported['pth'])
    results = inferencer(images, batch_size=IMAGES)
    scores = torch.from_numpy(np.stack([r['pred_scores'] for r in results]))
    torch.testing.assert_close(scores, expected, rtol=0, atol=1e-6)
    # not a constant classifier: the images get different scores
    assert not torch.allclose(scores[0], scores[1])

    model = init_model(exported['config'], exported['pth'])
    batch = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(i).permute(2, 0, 1) for i in images]))
    with torch.no_grad():
        logits = model(batch['inputs'], mode='tensor')
    torch.testing.assert_close(logits.softmax(1), expected, rtol=0,
                               atol=1e-6)
