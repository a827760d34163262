"""TeacherEvalHook and a KD distiller in a real mmengine Runner."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, write_image_folder
from distill_helpers import build, distiller_cfg, tiny_classifier
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from vrm_mm.engine.hooks import TeacherEvalHook

BASE_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_classifier.py')


def grayscale_classifier() -> dict:
    return tiny_classifier(num_classes=2, in_channels=1)


def load_split(root: str, split: str):
    """Images of root/<split> normalised like the config, and labels."""
    images, labels = [], []
    for label in (0, 1):
        for path in sorted(glob.glob(osp.join(root, split, f'class{label}',
                                              '*'))):
            pixels = np.asarray(Image.open(path), dtype=np.float32)
            images.append((torch.from_numpy(pixels)[None] - 127.5) / 127.5)
            labels.append(label)
    return torch.stack(images), torch.tensor(labels)


def train_teacher(root: str, path: str) -> float:
    """Fit a teacher on root/train, save it, return its val top-1."""
    torch.manual_seed(0)
    teacher = build(grayscale_classifier())
    images, labels = load_split(root, 'train')
    optimizer = torch.optim.Adam(teacher.parameters(), lr=0.01)
    for _ in range(30):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(teacher(images), labels).backward()
        optimizer.step()
    torch.save(teacher.state_dict(), path)
    images, labels = load_split(root, 'val')
    with torch.no_grad():
        predictions = teacher.eval()(images).argmax(dim=1)
    return 100.0 * (predictions == labels).float().mean().item()


@pytest.fixture
def runner_cfg(tmp_path):
    root = write_image_folder(str(tmp_path / 'data'), num_per_class=2)
    ckpt = str(tmp_path / 'teacher.pth')
    accuracy = train_teacher(root, ckpt)
    cfg = Config.fromfile(BASE_CONFIG)
    cfg.model = distiller_cfg(
        ckpt, student=grayscale_classifier(),
        teacher=grayscale_classifier())
    # the Runner fills in the config's top-level data_preprocessor
    del cfg.model['data_preprocessor']
    cfg.work_dir = str(tmp_path / 'work')
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = root
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    return cfg, accuracy


def test_teacher_accuracy_logged_and_weights_warmed_up(runner_cfg):
    cfg, expected = runner_cfg
    # the dark/bright classes are easy: the teacher is perfect, unlike the
    # untrained student, so its logged accuracy is the teacher's
    assert expected == 100.0
    cfg.custom_hooks = [
        dict(type='TeacherEvalHook', mode='every'),
        dict(type='DistillLossWarmupHook', warmup=4,
             loss_names=['loss_kd']),
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    history, _ = runner.message_hub.get_scalar(
        'teacher/accuracy/top1').data
    # 'every': before training and after the one validation
    assert list(history) == pytest.approx([expected, expected])
    scalars = glob.glob(osp.join(cfg.work_dir, '*', 'vis_data',
                                 'scalars.json'))
    with open(scalars[0]) as f:
        logged = [json.loads(line) for line in f]
    assert any('teacher/accuracy/top1' in row for row in logged)
    # one iteration in epoch 0 of a 4-epoch warm-up: a quarter of 0.9
    assert runner.model.distill_losses.loss_kd.loss_weight == \
        pytest.approx(0.225)
    train_rows = [row for row in logged if 'loss_kd' in row]
    assert train_rows and 'loss_cls' in train_rows[0]
    # the checkpoint holds the student only
    checkpoint = torch.load(osp.join(cfg.work_dir, 'epoch_1.pth'),
                            weights_only=True)
    assert checkpoint['state_dict']
    assert all(key.startswith('student.')
               for key in checkpoint['state_dict'])


def test_never_mode_evaluates_nothing(runner_cfg):
    cfg, _ = runner_cfg
    cfg.custom_hooks = [dict(type='TeacherEvalHook', mode='never')]
    # a name of its own: mmengine names the MessageHub after the experiment
    # (config + timestamp), so a runner built in the same second by another
    # test would share its hub and its teacher/accuracy/top1 scalar
    cfg.experiment_name = 'teacher_eval_never'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 'teacher/accuracy/top1' not in runner.message_hub.log_scalars


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="one of \\('once', 'never'"):
        TeacherEvalHook(mode='always')
