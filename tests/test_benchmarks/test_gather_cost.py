"""The ImageNet VRM configs build graphs per rank (gather='all' is an
option); gather_cost.py runs on 2 gloo ranks and writes its table."""
import glob
import json
import sys
from pathlib import Path

import gather_cost
import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]


def test_imagenet_vrm_configs_build_graphs_per_rank():
    """As the DataParallel-era recipes computed batch losses: each replica
    on its own chunk (mdistiller tools/train.py wraps the distiller in
    DataParallel); gather='all' stays an option."""
    paths = glob.glob(str(ROOT / 'configs/vrm/*imagenet*.py'))
    assert paths
    for path in paths:
        loss = Config.fromfile(path).model.distill_losses.loss_vrm
        assert loss.gather == 'none', path
        assert loss.type == 'VRMLoss'  # merged with the base, not replaced
    cifar = Config.fromfile(
        str(ROOT / 'configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py'))
    assert cifar.model.distill_losses.loss_vrm.get('gather', 'none') == 'none'


@pytest.mark.slow
def test_gather_cost_runs_on_two_ranks(tmp_path, monkeypatch):
    """End to end: its main spawns 2 gloo ranks (each imports torch and
    vrm_mm); called here in-process, which spares a third import."""
    monkeypatch.setattr(sys, 'argv', [
        'gather_cost.py', '--steps', '2', '--warmup', '1', '--classes', '10',
        '--batch-size', '8', '--out-dir', str(tmp_path)])
    gather_cost.main()
    rows = json.loads((tmp_path / 'gather_cost.json').read_text())['rows']
    assert [r['classes'] for r in rows] == [10]
    assert rows[0]['all_ms'] > 0 and rows[0]['none_ms'] > 0
    assert "gather='all'" in (tmp_path / 'gather_cost.md').read_text()
    (run, ) = (tmp_path / 'runs' / 'gather_cost').glob('*.json')
    assert json.loads(run.read_text())['rows'] == rows
