"""TrainSubsetAccuracyHook: train accuracy per epoch, changing nothing."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.datasets import CustomDataset
from reliability_helpers import (
    CONFIG,
    assert_same_weights,
    data_options,
    prepare_data,
    train_in_process,
    weights,
)

from vrm_mm.analysis import TrainSubsetAccuracyHook
from vrm_mm.registry import MODELS

PIPELINE = [dict(type='LoadImageFromFile', color_type='grayscale'),
            dict(type='PackInputs')]
HOOKED = """_base_ = [{config!r}]
custom_hooks = [
    dict(type='DistillLossWarmupHook', warmup=2, by_epoch=True),
    dict(type='TrainSubsetAccuracyHook', num_samples=5, batch_size=2,
         pipeline={pipeline!r})]
"""


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('subset_data')))


def logged(work_dir: str) -> dict:
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        records = [json.loads(line) for line in f]
    return {r['step']: r['train_subset/top1'] for r in records
            if 'train_subset/top1' in r}


def subset_top1(data: dict, checkpoint: str) -> float:
    """The student's top-1 on the hook's 5 samples, computed apart."""
    init_default_scope('vrm_mm')
    cfg = Config.fromfile(CONFIG)
    model = dict(cfg.model, teacher_ckpt=data['teacher'])
    distiller = MODELS.build(model)
    distiller.load_state_dict(weights(checkpoint))
    distiller.eval()
    dataset = CustomDataset(data_root=data['root'], data_prefix='train')
    transforms = Compose(PIPELINE)
    indices = np.linspace(0, len(dataset) - 1, 5).astype(int)
    batch = pseudo_collate(
        [transforms(dataset.get_data_info(int(i))) for i in indices])
    with torch.no_grad():
        predictions = distiller.test_step(batch)
    return 100.0 * np.mean([p.pred_label.item() == p.gt_label.item()
                            for p in predictions])


@pytest.mark.slow
def test_logs_train_accuracy_each_epoch_and_changes_no_weight(data,
                                                              tmp_path):
    options = [*data_options(data), 'train_cfg.max_epochs=2']
    plain, hooked = str(tmp_path / 'plain'), str(tmp_path / 'hooked')
    train_in_process(CONFIG, plain, *options)
    hooked_config = tmp_path / 'hooked.py'
    hooked_config.write_text(HOOKED.format(config=CONFIG, pipeline=PIPELINE))
    train_in_process(str(hooked_config), hooked, *options)
    assert_same_weights(weights(osp.join(plain, 'epoch_2.pth')),
                        weights(osp.join(hooked, 'epoch_2.pth')))
    values = logged(hooked)
    assert sorted(values) == [1, 2]
    assert values[2] == pytest.approx(
        subset_top1(data, osp.join(hooked, 'epoch_2.pth')))
    assert values[1] == pytest.approx(
        subset_top1(data, osp.join(hooked, 'epoch_1.pth')))


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match='num_samples must be a positive'):
        TrainSubsetAccuracyHook(num_samples=0)
