"""benchmarks/gpu_check.sh without a GPU, and its report on given checks.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import gpu_check
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_without_cuda_it_says_so_and_exits_0():
    """End to end: the script, whose Python imports torch twice."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHON=sys.executable)
    done = subprocess.run(['bash', str(ROOT / 'benchmarks/gpu_check.sh')],
                          env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'no CUDA GPU here' in done.stdout


def test_without_torch_it_fails_clearly(tmp_path):
    fake = tmp_path / 'python'
    fake.write_text('#!/bin/sh\nexit 1\n')
    fake.chmod(0o755)
    env = dict(os.environ, PYTHON=str(fake))
    done = subprocess.run(['bash', str(ROOT / 'benchmarks/gpu_check.sh')],
                          env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert 'cannot import torch' in done.stdout


def test_a_failed_check_is_reported_and_the_others_kept(tmp_path):
    results = {}

    def fails():
        raise RuntimeError('no kernel image for this GPU')

    gpu_check.check(results, 'AMP step (float16)', fails, tmp_path)
    gpu_check.check(results, 'images/s', lambda: dict(
        student=dict(images_per_s=1234.4, ms=51.8)), tmp_path)
    saved = json.loads((tmp_path / 'gpu_check.json').read_text())
    assert saved['checks']['AMP step (float16)']['status'] == 'FAILED'
    assert 'no kernel image' in saved['checks']['AMP step (float16)'][
        'error']
    table = (tmp_path / 'gpu_check.md').read_text()
    assert '| images/s | ok |' in table
    assert 'student 1234 img/s' in table
    # one call, one run file, rewritten after each check
    (run, ) = (tmp_path / 'runs' / 'gpu_check').glob('*.json')
    assert list(json.loads(run.read_text())['checks']) == [
        'AMP step (float16)', 'images/s']


@pytest.mark.parametrize('name', list(gpu_check.OPTIONS))
def test_every_option_is_a_distiller_key(name):
    import inspect

    from vrm_mm.models.distillers import SingleTeacherDistiller
    options, _ = gpu_check.OPTIONS[name]
    keys = inspect.signature(SingleTeacherDistiller.__init__).parameters
    assert set(options) <= set(keys)
