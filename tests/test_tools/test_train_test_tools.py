"""tools/train.py, tools/test.py and tools/dist_train.sh end to end (CPU)."""
import itertools
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, load_tool

CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_classifier.py')


TRAIN_TOOL = load_tool('train.py')


def data_options(root: str) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]


def run_tool(args: list, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300, **kwargs)


def train(work_dir: str, root: str,
          *extra: str) -> subprocess.CompletedProcess:
    return run_tool([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
        *extra, '--cfg-options', *data_options(root)])


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One 2-epoch run shared by the tests that only read its outputs."""
    from conftest import write_image_folder
    base = tmp_path_factory.mktemp('trained')
    root = write_image_folder(str(base / 'data'))
    work_dir = str(base / 'work')
    result = train(work_dir, root)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir, root, result


@pytest.mark.slow
def test_train_two_epochs_saves_checkpoints(trained):
    work_dir, _, result = trained
    for name in ('epoch_1.pth', 'epoch_2.pth', 'last_checkpoint'):
        assert osp.isfile(osp.join(work_dir, name)), name
    log = result.stdout + result.stderr
    assert 'Epoch(train) [2]' in log
    # both top-1 figures the literature reports, whatever the config's hooks
    assert re.search(r'accuracy/top1: last [0-9.]+ \(epoch 2\), best '
                     r'[0-9.]+ \(epoch [12]\)', log), log[-3000:]
    # our checkpoints load under torch's safe (weights_only) unpickler
    checkpoint = torch.load(
        osp.join(work_dir, 'epoch_2.pth'), weights_only=True)
    assert checkpoint['meta']['epoch'] == 2


@pytest.mark.slow
def test_resume_continues_from_latest(trained, tmp_path):
    work_dir, root, _ = trained
    resumed = str(tmp_path / 'resumed')
    subprocess.run(['cp', '-r', work_dir, resumed], check=True)
    result = train(resumed, root, '--resume',
                   '--cfg-options', 'train_cfg.max_epochs=3')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'resumed epoch: 2' in log
    assert 'Epoch(train) [3]' in log
    assert 'Epoch(train) [1]' not in log
    assert osp.isfile(osp.join(resumed, 'epoch_3.pth'))


@pytest.mark.slow
def test_test_tool_prints_accuracy_and_dumps(trained, tmp_path):
    work_dir, root, _ = trained
    out = str(tmp_path / 'preds.pkl')
    result = run_tool([
        sys.executable, 'tools/test.py', CONFIG,
        osp.join(work_dir, 'epoch_2.pth'), '--work-dir', str(tmp_path),
        '--out', out, '--cfg-options', *data_options(root)])
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
    # the two classes are trivially separable: 2 epochs learn them
    assert metrics['accuracy/top1'] >= 75.0
    assert osp.getsize(out) > 0


@pytest.mark.slow
def test_dist_train_two_cpu_ranks(tiny_folder, tmp_path):
    work_dir = str(tmp_path / 'dist')
    result = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options', *data_options(tiny_folder)],
        input='')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))


@pytest.mark.slow
def test_amp_without_gpu_warns_and_trains_fp32(tiny_folder, tmp_path):
    result = train(str(tmp_path / 'amp'), tiny_folder, '--amp',
                   '--cfg-options', 'train_cfg.max_epochs=1')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'AMP needs a GPU' in result.stderr


@pytest.fixture
def stopped(capsys, monkeypatch):
    """``tools/train.py ARGS`` run in this process, for the runs that
    stop before training (fast): ``(exit status, stderr)``."""
    monkeypatch.delenv('VRM_MM_TRACEBACK', raising=False)

    def run(*args: str) -> tuple:
        with pytest.raises(SystemExit) as stop:
            TRAIN_TOOL.main(list(args))
        code, err = stop.value.code, capsys.readouterr().err
        if isinstance(code, str):  # sys.exit(message): what Python does
            code, err = 1, f'{err}{code}\n'
        return code, err

    return run


def test_misspelt_top_level_key_is_a_clear_error(tiny_folder, tmp_path,
                                                 stopped):
    code, err = stopped(CONFIG, '--work-dir', str(tmp_path / 'typo'),
                        '--cfg-options', 'optim_wraper.optimizer.lr=0.1',
                        '--cfg-options', *data_options(tiny_folder))
    assert code == 1
    assert "did you mean 'optim_wrapper'" in err
    assert 'Traceback' not in err


def test_misspelt_nested_override_is_a_clear_error(tiny_folder, tmp_path,
                                                   stopped):
    code, err = stopped(CONFIG, '--work-dir', str(tmp_path / 'typo'),
                        '--cfg-options', 'train_cfg.max_epoch=3',
                        '--cfg-options', *data_options(tiny_folder))
    assert code == 1
    assert "did you mean 'train_cfg.max_epochs'" in err
    assert 'Traceback' not in err


def test_missing_config_file_is_a_clear_error(stopped):
    code, err = stopped('nope.py')
    assert code != 0
    assert 'config file not found: nope.py' in err


@pytest.mark.slow
def test_resume_skips_a_corrupted_latest_checkpoint(trained, tmp_path):
    work_dir, root, _ = trained
    resumed = str(tmp_path / 'corrupted')
    subprocess.run(['cp', '-r', work_dir, resumed], check=True)
    latest = osp.join(resumed, 'epoch_2.pth')
    with open(latest, 'r+b') as f:  # truncate: a torn write
        f.truncate(os.path.getsize(latest) // 2)
    with open(osp.join(resumed, 'last_checkpoint'), 'w') as f:
        f.write(latest)
    result = train(resumed, root, '--resume',
                   '--cfg-options', 'train_cfg.max_epochs=2')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Skipping unreadable checkpoint' in log
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [2]' in log


def test_tool(checkpoint: str, root: str, work_dir: str, *options: str):
    """``tools/test.py`` in a subprocess (test_tool_options.py uses it)."""
    return run_tool([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        work_dir, '--cfg-options', *data_options(root), *options])


test_tool.__test__ = False  # a helper, not a test
TEST_TOOL = load_tool('test.py')
RUNS = itertools.count()


@pytest.fixture
def tested(capsys, monkeypatch):
    """``tools/test.py CONFIG CHECKPOINT ...`` in this process, for the
    runs refused before a metric: a CompletedProcess of its exit."""
    monkeypatch.delenv('VRM_MM_TRACEBACK', raising=False)

    def run(checkpoint: str, root: str, work_dir: str, *options: str):
        # a new logger for each run: mmengine names it after the config
        # and the second, and a logger of an earlier test writes to that
        # test's closed capture
        args = [CONFIG, checkpoint, '--work-dir', work_dir,
                '--cfg-options', *data_options(root), *options,
                f'experiment_name=tools_test_{next(RUNS)}']
        with pytest.raises(SystemExit) as stop:
            TEST_TOOL.main(args)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, stop.value.code, out, err)

    return run


def assert_one_line(result, fragment: str) -> None:
    """Stopped with one line holding ``fragment``; no metric printed."""
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert 'accuracy/top1' not in result.stdout + result.stderr
    assert len([line for line in result.stderr.splitlines()
                if fragment in line]) == 1, result.stderr[-3000:]


@pytest.mark.slow
def test_test_tool_rejects_an_unreadable_checkpoint(trained, tmp_path,
                                                    tested):
    work_dir, root, _ = trained
    truncated = str(tmp_path / 'truncated.pth')
    with open(osp.join(work_dir, 'epoch_2.pth'), 'rb') as f:
        data = f.read()
    with open(truncated, 'wb') as f:  # a torn copy
        f.write(data[:len(data) // 2])
    assert_one_line(tested(truncated, root, str(tmp_path)),
                    f'{truncated} is not a readable checkpoint, truncated '
                    'or corrupt')
    assert_one_line(tested(work_dir, root, str(tmp_path)),
                    f'{work_dir} is a directory: give a checkpoint file in '
                    'it')


@pytest.mark.slow
def test_test_tool_rejects_a_checkpoint_of_another_head(trained, tmp_path,
                                                        tested):
    work_dir, root, _ = trained
    result = tested(osp.join(work_dir, 'epoch_2.pth'), root,
                    str(tmp_path), 'model.head.num_classes=3',
                    'model.data_preprocessor.num_classes=3')
    assert_one_line(result, 'head.fc.weight (2, 120) != (3, 120)')
    assert 'test it with the config it was trained with' in result.stderr


@pytest.mark.slow
def test_test_tool_checks_the_test_labels(trained, tmp_path, tested):
    work_dir, root, _ = trained
    ann_file = tmp_path / 'test.txt'
    ann_file.write_text('class0/0.png 0\nclass1/0.png 5\n')
    result = tested(osp.join(work_dir, 'epoch_2.pth'), root,
                    str(tmp_path),
                    f'test_dataloader.dataset.ann_file={ann_file}')
    assert_one_line(result, 'PreflightError: The test set has label 5 (')
    assert 'model.head.num_classes=2' in result.stderr
