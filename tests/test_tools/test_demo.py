"""tools/demo.py end to end on a tiny Fashion-MNIST-format fixture."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, write_fashion_mnist

pytestmark = pytest.mark.slow


def run_demo(work_dir: str, data_root: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, 'tools/demo.py', '--work-dir', work_dir,
         '--data-root', data_root, '--epochs', '1', '--train-images', '128'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_demo_trains_three_models_then_reuses_them(tmp_path):
    data_root = str(tmp_path / 'fashion_mnist')
    write_fashion_mnist(data_root, {'train': 160, 't10k': 64},
                        gzipped=False)
    work_dir = str(tmp_path / 'demo')

    first = run_demo(work_dir, data_root)
    assert first.returncode == 0, first.stderr[-3000:]
    for label in ('Teacher ResNet20', 'Student ResNet8 alone',
                  'Student ResNet8 + VRM'):
        assert label in first.stdout
    assert 'VRM vs student alone:' in first.stdout
    assert osp.getsize(osp.join(work_dir, 'accuracy_curves.png')) > 0
    # the VRM run logged its graph terms and pruning statistics
    vrm_log = ''.join(
        open(osp.join(root, name)).read()
        for root, _, names in os.walk(osp.join(work_dir, 'vrm'))
        for name in names if name.endswith('.log'))
    for key in ('loss_vrm_is', 'loss_vrm_ic', 'vrm_edges_pruned'):
        assert key in vrm_log

    second = run_demo(work_dir, data_root)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count('reusing the finished run') == 3
