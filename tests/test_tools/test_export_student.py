"""KD through tools/train.py, then tools/export_student.py (CPU, tiny)."""
import itertools
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, load_tool, write_image_folder
from distill_helpers import build, save_teacher, tiny_classifier
from mmengine.config import Config
from mmengine.runner import load_checkpoint

BASE_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_classifier.py')
KD_CONFIG = """
_base_ = [{base!r}]
model = dict(
    _delete_=True,
    type='SingleTeacherDistiller',
    student={classifier!r},
    teacher={classifier!r},
    teacher_ckpt={teacher!r},
    connectors=dict(proj=dict(type='LinearConnector', in_channels=16,
                              out_channels=16, input='student.pre_logits')),
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9,
                     inputs=dict(preds_S='student.logits',
                                 preds_T='teacher.logits')),
        loss_rkd=dict(type='RKDLoss', inputs=dict(
            feats_S='connectors.proj', feats_T='teacher.pre_logits'))),
    student_loss_weight=0.1)
custom_hooks = [dict(type='TeacherEvalHook')]
train_cfg = dict(max_epochs=1)
"""


def run(args: list) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def write_tiny_kd(base, extra: str = '') -> tuple:
    """A tiny image folder, teacher and KD config (+ ``extra`` lines) in
    ``base``; returns the config path and the data root."""
    root = write_image_folder(str(base / 'data'), num_per_class=4)
    classifier = tiny_classifier(num_classes=2, in_channels=1)
    save_teacher(str(base / 'teacher.pth'), classifier)
    config = str(base / 'kd_tiny.py')
    with open(config, 'w') as f:
        f.write(KD_CONFIG.format(base=BASE_CONFIG, classifier=classifier,
                                 teacher=str(base / 'teacher.pth')) + extra)
    return config, root


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A 1-epoch KD run of tools/train.py on a tiny image folder."""
    base = tmp_path_factory.mktemp('kd')
    config, root = write_tiny_kd(base)
    work_dir = str(base / 'work')
    result = run(['tools/train.py', config, '--work-dir', work_dir,
                  '--cfg-options'] + [
                      f'{split}_dataloader.dataset.data_root={root}'
                      for split in ('train', 'val', 'test')])
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(config=config, work_dir=work_dir, root=root,
                log=result.stdout + result.stderr, base=base)


@pytest.mark.slow
def test_training_logs_every_term_and_the_teacher(trained):
    assert 'Teacher on the validation set: teacher/accuracy/top1' in \
        trained['log']
    train_lines = [line for line in trained['log'].splitlines()
                   if 'Epoch(train)' in line]
    assert train_lines
    for term in ('loss_cls', 'loss_kd', 'loss_rkd'):
        assert term in train_lines[-1], term


@pytest.mark.slow
def test_checkpoint_holds_no_teacher(trained):
    checkpoint = torch.load(osp.join(trained['work_dir'], 'epoch_1.pth'),
                            weights_only=True)
    prefixes = {key.split('.')[0] for key in checkpoint['state_dict']}
    assert prefixes == {'student', 'connectors'}


@pytest.mark.parametrize('with_config', [False, True])
@pytest.mark.slow
def test_export_loads_into_plain_classifier(trained, tmp_path, with_config):
    ckpt = osp.join(trained['work_dir'], 'epoch_1.pth')
    out = str(tmp_path / 'student.pth')
    extra = ['--config', trained['config']] if with_config else []
    result = run(['tools/export_student.py', ckpt, out, *extra])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'checked against model.student' in result.stdout

    exported = torch.load(out, weights_only=True)
    assert exported['meta']['epoch'] == 1
    cfg = Config.fromfile(trained['config'])
    student = build(cfg.model.student)
    result = student.load_state_dict(exported['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # mmengine's loader, as load_from / tools/test.py use it
    load_checkpoint(student, out, strict=True)

    distiller_cfg = cfg.model.to_dict()
    distiller_cfg.update(data_preprocessor=cfg.data_preprocessor.to_dict())
    distiller = build(distiller_cfg)
    load_checkpoint(distiller, ckpt, strict=True)
    x = torch.randn(3, 1, 32, 32)
    torch.testing.assert_close(student.eval()(x), distiller.eval()(x),
                               rtol=0, atol=0)


@pytest.mark.slow
def test_export_of_a_non_distiller_checkpoint_is_a_clear_error(tmp_path):
    path = str(tmp_path / 'plain.pth')
    model = build(tiny_classifier())
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    result = run(['tools/export_student.py', path,
                  str(tmp_path / 'out.pth')])
    assert result.returncode == 1
    assert 'no `student.*` weights' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not osp.exists(tmp_path / 'out.pth')


@pytest.mark.slow
def test_export_refuses_unsafe_files(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': print}, path)
    result = run(['tools/export_student.py', str(path),
                  str(tmp_path / 'out.pth')])
    assert result.returncode == 1
    assert (f'{path} holds Python objects other than tensors and plain '
            'containers, which could run code') in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_export_of_a_truncated_checkpoint_names_the_file(trained, tmp_path):
    with open(osp.join(trained['work_dir'], 'epoch_1.pth'), 'rb') as f:
        data = f.read()
    path = str(tmp_path / 'torn.pth')
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    result = run(['tools/export_student.py', path,
                  str(tmp_path / 'out.pth')])
    assert result.returncode == 1
    assert (f'{path} is not a readable checkpoint, truncated or corrupt'
            in result.stderr)
    assert 'Traceback' not in result.stderr
    assert not osp.exists(tmp_path / 'out.pth')


TEST_TOOL = load_tool('test.py')
RUNS = itertools.count()


@pytest.fixture
def test_tool(capsys, monkeypatch):
    """``tools/test.py`` run in this process (five runs of a subprocess
    each cost seconds): a CompletedProcess of its exit and output."""
    monkeypatch.delenv('VRM_MM_TRACEBACK', raising=False)

    def tested(config: str, checkpoint: str, trained: dict, work_dir: str):
        # a new logger for each run: mmengine names it after the config
        # and the second, and a logger of an earlier test writes to that
        # test's closed capture
        args = [config, checkpoint, '--work-dir', work_dir, '--cfg-options',
                f'test_dataloader.dataset.data_root={trained["root"]}',
                f'experiment_name=export_test_{next(RUNS)}']
        code = 0
        try:
            TEST_TOOL.main(args)
        except SystemExit as stop:
            code = stop.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return tested


def assert_refused(result, *fragments: str) -> None:
    """tools/test.py stopped before testing: one line, no metric."""
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert 'accuracy/top1' not in result.stdout + result.stderr
    line = next(line for line in result.stderr.splitlines()
                if 'loading the checkpoint failed' in line)
    for fragment in fragments:
        assert fragment in line


@pytest.mark.slow
def test_test_tool_names_the_pairing_that_fits(trained, tmp_path,
                                               test_tool):
    ckpt = osp.join(trained['work_dir'], 'epoch_1.pth')
    out = str(tmp_path / 'student.pth')
    assert run(['tools/export_student.py', ckpt, out]).returncode == 0
    work_dir = str(tmp_path / 'test')

    # the distiller checkpoint with a plain classifier's config
    assert_refused(
        test_tool(BASE_CONFIG, ckpt, trained, work_dir),
        f'{ckpt} is a distillation checkpoint (student.* weights), but '
        f'{BASE_CONFIG} builds a plain classifier: test it with the '
        'distiller config', f'python tools/export_student.py {ckpt}')
    # the exported student with the distiller's config
    assert_refused(
        test_tool(trained['config'], out, trained, work_dir),
        f'{out} holds a plain classifier', f"{trained['config']} is a "
        f'distiller config: test it with its own config, '
        f'{tmp_path / "student.py"}')
    # the exported student with another architecture's config
    assert_refused(
        test_tool(BASE_CONFIG, out, trained, work_dir),
        f'{out} does not fit the model of {BASE_CONFIG} (missing: '
        'backbone.', 'test it with the config it was trained with')

    # the pairings that fit
    for config, checkpoint in ((trained['config'], ckpt),
                               (str(tmp_path / 'student.py'), out)):
        result = test_tool(config, checkpoint, trained, work_dir)
        assert result.returncode == 0, result.stderr[-3000:]
        assert 'accuracy/top1' in result.stdout.splitlines()[-1]
