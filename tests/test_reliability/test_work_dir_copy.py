"""A run touches only its own work_dir: forking (copying) or moving a
finished experiment and resuming it there never changes the original, and
resumes from the copy's own checkpoint exactly (issue 26).

The tiny VRM distiller runs 2 iterations an epoch and validates after each
epoch, keeping the best checkpoint by top-1. The finished run's best score
is lowered in its checkpoint, so that the resumed epoch is certain to be a
new best: ``CheckpointHook`` then deletes the previous best, the file that
mmengine's absolute record named in the ORIGINAL work_dir.
"""
import glob
import hashlib
import os
import os.path as osp
import shutil
from typing import Dict

import pytest
import torch
from reliability_helpers import (
    CONFIG,
    assert_same_weights,
    data_options,
    free_port,
    prepare_data,
    run_tool,
    train_in_process,
    weights,
)

from vrm_mm.utils import work_dir as work_dir_module

BEST_1 = 'best_accuracy_top1_epoch_1.pth'
BEST_2 = 'best_accuracy_top1_epoch_2.pth'
LONGER = 'train_cfg.max_epochs=2'  # the fork: one epoch more

FAKE_SRUN = '''#!/usr/bin/env bash
# srun: start --ntasks copies of the command with Slurm's variables
echo "srun $*" >> "$CALLS"
ntasks=1
while [ $# -gt 0 ]; do
    case "$1" in
        -p) shift 2 ;;
        --ntasks=*) ntasks=${1#--ntasks=}; shift ;;
        -*) shift ;;
        *) break ;;
    esac
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NTASKS=$ntasks \\
    SLURM_NODELIST=localhost "$@" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
exit $status
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return prepare_data(str(tmp_path_factory.mktemp('work_dir_copy_data')))


@pytest.fixture
def config(data, tmp_path) -> str:
    return write_config(data, tmp_path)


def write_config(data, folder) -> str:
    """The tiny VRM run with validation and a best checkpoint."""
    path = folder / 'validated.py'
    path.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        'val_dataloader = dict(\n'
        '    batch_size=4, num_workers=0, persistent_workers=False,\n'
        "    sampler=dict(type='DefaultSampler', shuffle=False),\n"
        f"    dataset=dict(type='CustomDataset', data_root={data['root']!r},\n"
        "                 data_prefix='val', pipeline=[\n"
        "        dict(type='LoadImageFromFile', color_type='grayscale'),\n"
        "        dict(type='PackInputs')]))\n"
        "val_evaluator = dict(type='Accuracy', topk=(1, ))\n"
        'val_cfg = dict()\n'
        'train_cfg = dict(max_epochs=1, val_interval=1)\n'
        'train_dataloader = dict(num_batch_per_epoch=2)\n'
        "custom_hooks = [dict(type='DistillLossWarmupHook', warmup=1,\n"
        '                     by_epoch=True)]\n'
        'default_hooks = dict(checkpoint=dict(\n'
        "    save_best='accuracy/top1', rule='greater'))\n")
    return str(path)


@pytest.fixture(autouse=True)
def fresh_announcements():
    # each run in this process says its re-rooting line afresh
    work_dir_module._announced.clear()
    yield
    work_dir_module._announced.clear()


def finished_run(config: str, data, work_dir: str) -> str:
    """A finished 1-epoch run whose next validation is a new best."""
    train_in_process(config, work_dir, *data_options(data))
    assert sorted(glob.glob(osp.join(work_dir, '*.pth'))) == [
        osp.join(work_dir, BEST_1), osp.join(work_dir, 'epoch_1.pth')]
    path = osp.join(work_dir, 'epoch_1.pth')
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    info = checkpoint['message_hub']['runtime_info']
    assert info['best_ckpt'] == osp.join(work_dir, BEST_1)  # absolute
    info['best_score'] = -1.0
    torch.save(checkpoint, path)
    return work_dir


def hashes(folder: str) -> Dict[str, str]:
    """Every file below ``folder`` -> its SHA-256."""
    result = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = osp.join(root, name)
            with open(path, 'rb') as f:
                result[osp.relpath(path, folder)] = hashlib.sha256(
                    f.read()).hexdigest()
    return result


def train_log(work_dir: str) -> str:
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    with open(logs[-1]) as f:
        return f.read()


def reroot_line(old: str, new: str) -> str:
    return f'vrm_mm: {new} holds records of {old} (a moved or copied work_dir)'


def assert_resumed_in_own_folder(work_dir: str, output: str) -> None:
    """Resumed from its own epoch_1.pth; its best checkpoint replaced."""
    log = train_log(work_dir)
    assert f'Load checkpoint from {osp.join(work_dir, "epoch_1.pth")}' in log
    assert 'resumed epoch: 1' in log
    assert osp.isfile(osp.join(work_dir, BEST_2))
    assert not osp.exists(osp.join(work_dir, BEST_1))
    assert (f'The previous best checkpoint {osp.join(work_dir, BEST_1)} '
            'is removed') in log + output
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work_dir, 'epoch_2.pth')


@pytest.mark.slow
def test_resuming_a_copy_leaves_the_original_unchanged(config, data,
                                                       tmp_path, capsys):
    original = finished_run(config, data, str(tmp_path / 'original'))
    before = hashes(original)
    fork = str(tmp_path / 'fork')
    shutil.copytree(original, fork)
    capsys.readouterr()

    train_in_process(config, fork, *data_options(data), LONGER, resume=True)
    output = capsys.readouterr().out
    assert hashes(original) == before
    assert_resumed_in_own_folder(fork, output)
    assert output.count(reroot_line(original, fork)) == 1
    assert original not in train_log(fork)

    # the same as resuming in the original itself
    train_in_process(config, original, *data_options(data), LONGER,
                     resume=True)
    assert_resumed_in_own_folder(original, capsys.readouterr().out)
    for name in ('epoch_2.pth', BEST_2):
        assert_same_weights(weights(osp.join(original, name)),
                            weights(osp.join(fork, name)))


@pytest.mark.slow
def test_a_moved_work_dir_resumes_in_its_new_place(config, data, tmp_path,
                                                   capsys):
    reference = finished_run(config, data, str(tmp_path / 'reference'))
    old = finished_run(config, data, str(tmp_path / 'old' / 'run'))
    moved = str(tmp_path / 'moved')
    shutil.move(old, moved)
    capsys.readouterr()

    train_in_process(config, moved, *data_options(data), LONGER, resume=True)
    output = capsys.readouterr().out
    assert output.count(reroot_line(old, moved)) == 1
    assert_resumed_in_own_folder(moved, output)
    assert not osp.exists(old)  # nothing written to the old place

    train_in_process(config, reference, *data_options(data), LONGER,
                     resume=True)
    assert_same_weights(weights(osp.join(reference, 'epoch_2.pth')),
                        weights(osp.join(moved, 'epoch_2.pth')))


@pytest.mark.slow
def test_an_old_style_work_dir_resumes_in_its_new_place(config, data,
                                                        tmp_path, capsys):
    """Written before this change: absolute records, no experiment record
    in the checkpoint's meta; copied elsewhere and resumed."""
    original = finished_run(config, data, str(tmp_path / 'original'))
    path = osp.join(original, 'epoch_1.pth')
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    del checkpoint['meta']['experiment']
    torch.save(checkpoint, path)
    before = hashes(original)
    fork = str(tmp_path / 'fork')
    shutil.copytree(original, fork)
    capsys.readouterr()

    train_in_process(config, fork, *data_options(data), LONGER, resume=True)
    output = capsys.readouterr().out
    assert hashes(original) == before
    assert output.count(reroot_line(original, fork)) == 1
    assert_resumed_in_own_folder(fork, output)
    assert 'has no experiment record' in train_log(fork)


def test_a_record_outside_the_work_dir_is_never_deleted(config, data,
                                                        tmp_path):
    """Even a record that the re-rooting does not rewrite (here: set on
    the live hook after the resume) cannot delete another folder's file."""
    from vrm_mm.runtime.hooks.own_work_dir_hook import _ConfinedBackend

    outside = tmp_path / 'elsewhere' / BEST_1
    outside.parent.mkdir()
    outside.write_bytes(b'a best checkpoint of another run')
    removed = []

    class Backend:

        def remove(self, path):
            removed.append(path)

    class Logger:

        def __init__(self):
            self.lines = []

        def warning(self, line):
            self.lines.append(line)

    logger = Logger()
    confined = _ConfinedBackend(Backend(), str(tmp_path / 'run'), logger)
    confined.remove(str(outside))
    confined.remove(str(tmp_path / 'run' / BEST_1))
    assert removed == [str(tmp_path / 'run' / BEST_1)]
    assert logger.lines == [
        f"vrm_mm: not deleting {outside}: it is outside this run's "
        f"checkpoint folder {tmp_path / 'run'} (a record of another "
        'work_dir); a run deletes only its own files.']


def dist_resume(config, data, work_dir: str) -> str:
    result = run_tool([
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir,
        '--resume', '--cfg-options', *data_options(data), LONGER
    ], PORT=str(free_port()))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert 'Distributed training: True' in output
    return output


def slurm_resume(config, data, work_dir: str, tmp_path) -> str:
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    calls = tmp_path / 'calls'
    result = run_tool([
        'bash', 'tools/slurm_train.sh', 'cpu', 'fork', config, work_dir,
        '--resume', '--cfg-options', *data_options(data), LONGER
    ], GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1',
        PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}', CALLS=str(calls),
        MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert 'Distributed training: True' in output
    assert calls.read_text().count('--launcher=slurm') == 1
    return output


@pytest.fixture(scope='module')
def resumed_by_two_ranks(data, tmp_path_factory) -> str:
    """A finished run resumed in its own work_dir by 2 torchrun ranks."""
    work_dir_module._announced.clear()
    folder = tmp_path_factory.mktemp('two_ranks')
    config = write_config(data, folder)
    original = finished_run(config, data, str(folder / 'original'))
    dist_resume(config, data, original)
    return original


@pytest.mark.parametrize('launcher', ['torchrun', 'slurm'])
@pytest.mark.slow
def test_two_ranks_resume_a_copy_and_leave_the_original(
        config, data, tmp_path, launcher, resumed_by_two_ranks):
    original = finished_run(config, data, str(tmp_path / 'original'))
    before = hashes(original)
    fork = str(tmp_path / 'fork')
    shutil.copytree(original, fork)

    if launcher == 'torchrun':
        output = dist_resume(config, data, fork)
    else:
        output = slurm_resume(config, data, fork, tmp_path)
    assert hashes(original) == before
    assert output.count(reroot_line(original, fork)) == 1  # rank 0 only
    assert_resumed_in_own_folder(fork, output)

    # the same as the same run resumed in its own folder
    for name in ('epoch_2.pth', BEST_2):
        assert_same_weights(weights(osp.join(resumed_by_two_ranks, name)),
                            weights(osp.join(fork, name)))



def test_records_are_resolved_against_the_run_folder():
    from vrm_mm.utils.work_dir import checkpoint_dir, is_inside, reroot
    assert reroot('/a/run/epoch_1.pth', '/b/fork') == (
        '/b/fork/epoch_1.pth', '/a/run')
    assert reroot('/b/fork/epoch_1.pth', '/b/fork') == (
        '/b/fork/epoch_1.pth', None)
    assert reroot('epoch_1.pth', '/b/fork') == ('/b/fork/epoch_1.pth', None)
    assert reroot('s3://bucket/run/epoch_1.pth', '/b/fork') == (
        's3://bucket/run/epoch_1.pth', None)
    assert checkpoint_dir('/w/run') == '/w/run'
    assert checkpoint_dir('/w/run', '/w/run') == '/w/run'
    assert checkpoint_dir('/w/run/', '/ckpts') == '/ckpts/run'
    assert checkpoint_dir('/w/run', 's3://bucket/') == 's3://bucket/run'
    assert is_inside('/b/fork/best.pth', '/b/fork')
    assert not is_inside('/b/fork2/best.pth', '/b/fork')
    assert not is_inside('/a/run/best.pth', '/b/fork')


def test_last_checkpoint_of_another_folder_names_this_folders_file(
        tmp_path, capsys):
    from vrm_mm.runtime.resume import resume_candidates
    original, fork = tmp_path / 'original', tmp_path / 'fork'
    for folder, names in ((original, ('epoch_1.pth', 'epoch_3.pth')),
                          (fork, ('epoch_1.pth', 'epoch_2.pth'))):
        folder.mkdir()
        for name in names:
            (folder / name).write_bytes(b'')
    pointer = fork / 'last_checkpoint'
    pointer.write_text(str(original / 'epoch_1.pth'))
    assert resume_candidates(str(fork)) == [
        str(fork / 'epoch_1.pth'), str(fork / 'epoch_2.pth')]
    assert capsys.readouterr().out == (
        f'{reroot_line(str(original), str(fork))}: they are re-rooted to '
        f'{fork}; nothing in {original} is read, changed or deleted.\n')
    # a file the fork lacks: its own newest, never the original's
    pointer.write_text(str(original / 'epoch_3.pth'))
    assert resume_candidates(str(fork)) == [
        str(fork / 'epoch_2.pth'), str(fork / 'epoch_1.pth')]
