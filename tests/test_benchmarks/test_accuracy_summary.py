"""The accuracy benchmark's statistics, tables and data configs.

Hand-computed values: sample standard deviation, per-seed paired
differences to VRM, and the subset of training images each config reads.
"""
import copy
import json
import os.path as osp
import sys

import pytest
from conftest import write_fashion_mnist
from mmengine.config import Config

from vrm_mm.registry import DATASETS

BENCHMARKS = osp.join(osp.dirname(__file__), '..', '..', 'benchmarks')
sys.path.insert(0, osp.abspath(BENCHMARKS))

import accuracy  # noqa: E402
from accuracy_methods import STUDENT_CONFIG  # noqa: E402


def test_mean_and_sample_std():
    assert accuracy._mean_std([1.0, 2.0, 3.0]) == dict(mean=2.0, std=1.0)
    # one value: the sample std is undefined, not zero
    assert accuracy._mean_std([73.5]) == dict(mean=73.5, std=None)
    assert accuracy._format(dict(mean=73.5, std=None)) == '73.50'
    assert accuracy._format(dict(mean=-0.5, std=0.25), '+') == '-0.50 ± 0.25'


def test_paired_difference_uses_the_seeds_both_have():
    vrm = dict(seeds=[0, 1, 3], values=[85.0, 85.0, 99.0])
    kd = dict(seeds=[0, 1, 2], values=[84.0, 85.0, 10.0])
    # seed 0: -1, seed 1: 0 -> mean -0.5, sample std sqrt(0.5) = 0.707
    assert accuracy.paired_difference(kd, vrm) == '-0.50 ± 0.71 (n=2)'
    one = dict(seeds=[3], values=[100.0])
    assert accuracy.paired_difference(one, vrm) == '+1.00 (n=1)'
    assert accuracy.paired_difference(dict(seeds=[7], values=[1.0]),
                                      vrm) == 'n/a'


def test_paired_difference_pairs_only_runs_of_the_same_teacher():
    vrm = dict(seeds=[0, 1], values=[85.0, 86.0], teachers=[90.7, 90.5])
    kd = dict(seeds=[0, 1], values=[84.0, 80.0], teachers=[90.7, 90.7])
    # seed 1 was distilled from another teacher training: left out
    assert accuracy.paired_difference(kd, vrm) == '-1.00 (n=1)'


def _run(last, best):
    return dict(last_test=last, best_test=best, train_seconds=120.0)


def test_summary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(accuracy, 'RESULTS', str(tmp_path))
    runs = {'vrm_seed0': _run(85.0, 85.5), 'vrm_seed1': _run(86.0, 86.0),
            'ce_seed0': _run(81.0, 81.0), 'ce_seed1': _run(82.0, 82.5),
            'vrm_uep_none_seed1': _run(85.0, 85.0)}
    protocol = dict(command='python benchmarks/accuracy.py',
                    machine=dict(device='cpu', cpu='test', nproc=2,
                                 torch='x', commit='abc', date='today'),
                    teacher_test=90.0, teacher_epochs=3, student_epochs=8)
    summary = accuracy.summarise(runs, protocol, '')
    assert summary['vrm']['mean'] == 85.5 and summary['vrm']['seeds'] == [
        0, 1]
    assert summary['ce']['best_test']['mean'] == pytest.approx(81.75)
    assert summary['ce']['train_minutes'] == 2.0
    table = open(tmp_path / 'accuracy.md').read()
    # sample std of (81, 82) is 0.707; ce - vrm per seed: -4, -4
    assert '| ce | 81.50 ± 0.71 | 81.75 ± 1.06 | 2 | 2.0 | ' \
        '-4.00 ± 0.00 (n=2) |' in table
    assert '| vrm_uep_none | 85.00 | 85.00 | 1 | 2.0 | -1.00 (n=1) |' \
        in table
    assert osp.getsize(tmp_path / 'accuracy.png') > 0
    assert 'more than one training of the teacher' not in table


def test_summary_names_the_teachers_when_runs_mix_them(tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(accuracy, 'RESULTS', str(tmp_path))
    runs = {'vrm_seed0': dict(_run(85.0, 85.0), teacher_test=90.76),
            'kd_seed0': dict(_run(84.0, 84.0), teacher_test=90.5)}
    protocol = dict(command='python benchmarks/accuracy.py',
                    machine=dict(device='cpu', cpu='test', nproc=2,
                                 torch='x', commit='abc', date='today'),
                    teacher_test=90.5, teacher_epochs=3, student_epochs=8)
    accuracy.summarise(runs, protocol, '')
    table = open(tmp_path / 'accuracy.md').read()
    assert '| kd | 84.00 | 84.00 | 1 | 2.0 | n/a |' in table
    assert '* 90.76: vrm' in table and '* 90.50: kd' in table


def test_benchmark_configs_read_the_protocol_subsets(tmp_path):
    write_fashion_mnist(str(tmp_path), {'train': 10020, 't10k': 4},
                        gzipped=False)
    student = Config.fromfile(STUDENT_CONFIG)
    expected = {'train_dataloader': range(5000, 10000),
                'val_dataloader': range(0, 5000)}
    for loader, indices in expected.items():
        dataset_cfg = student[loader].dataset
        dataset_cfg.update(data_root=str(tmp_path), pipeline=[])
        dataset = DATASETS.build(dataset_cfg)
        assert len(dataset) == len(indices)
        assert dataset.get_data_info(0)['img'].tobytes() == \
            DATASETS.build(dict(dataset_cfg, indices=None)).get_data_info(
                indices[0])['img'].tobytes()
    # index ranges keep the config text small: mmengine formats it at
    # every checkpoint (a 55k-element list took seconds each time)
    assert len(Config.fromfile(accuracy.TEACHER_CONFIG).pretty_text) < 5000



def _config_without_data(tmp_path) -> Config:
    cfg = Config.fromfile(STUDENT_CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'absent')
    return cfg


def test_failed_run_exits_with_the_end_of_its_log(tmp_path):
    cfg = _config_without_data(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        accuracy.train_in_subprocess(cfg, 'ce_seed0', str(tmp_path))
    message = str(exit_info.value.code)
    assert 'Cannot find FashionMNIST dataset' in message  # the log's tail
    assert '[accuracy] ce_seed0 failed (exit 1)' in message
    assert 'run the same command again' in message
    assert not osp.exists(tmp_path / 'ce_seed0' / 'result.json')


def _finished(work_dir, cfg, last_test=80.0):
    """A finished run of ``cfg`` in ``work_dir`` (None: no digest kept)."""
    work_dir.mkdir()
    (work_dir / 'result.json').write_text(f'{{"last_test": {last_test}}}')
    if cfg is not None:
        (work_dir / accuracy.DIGEST_FILE).write_text(
            accuracy.config_digest(cfg) + '\n')


def test_parallel_runs_keep_finished_work_and_report_every_failure(
        tmp_path):
    todo = [(name, _config_without_data(tmp_path))
            for name in ('ce_seed0', 'kd_seed0', 'vrm_seed0')]
    _finished(tmp_path / 'ce_seed0', todo[0][1])
    digest = accuracy.config_digest(todo[0][1])
    recorded = {}
    with pytest.raises(SystemExit) as exit_info:
        accuracy.train_students(todo, str(tmp_path), 2,
                                 recorded.__setitem__)
    # not re-run; its record names the config it ran
    assert recorded == {'ce_seed0': {'last_test': 80.0,
                                     'config_digest': digest}}
    message = str(exit_info.value.code)
    assert 'kd_seed0 failed' in message and 'vrm_seed0 failed' in message


def test_no_new_run_starts_after_a_failure(tmp_path):
    todo = [(name, _config_without_data(tmp_path))
            for name in ('kd_seed0', 'vrm_seed0')]
    with pytest.raises(SystemExit) as exit_info:
        accuracy.train_students(todo, str(tmp_path), 1,
                                 lambda name, result: None)
    assert 'kd_seed0 failed' in str(exit_info.value.code)
    assert not (tmp_path / 'vrm_seed0').exists()


def test_runs_of_another_teacher_are_not_extended(capsys):
    """Another machine trains another teacher from the same seed: its runs
    go to a separate --set, never into the runs of the first teacher."""
    runs = {'kd_seed0': dict(last_test=84.0, teacher_test=90.76),
            'ce_seed0': dict(last_test=82.0)}  # unrecorded: no conflict
    accuracy.check_same_teacher(runs, 90.76, 'runs.json')
    accuracy.check_same_teacher({}, 90.59, 'runs.json')
    with pytest.raises(SystemExit) as error:
        accuracy.check_same_teacher(runs, 90.59, 'runs.json')
    message = str(error.value)
    assert '[90.76]' in message and '90.59' in message
    assert '--set NAME' in message


def test_config_digest_tells_configs_apart_but_not_their_folders(tmp_path):
    cfg = _config_without_data(tmp_path)
    digest = accuracy.config_digest(cfg)
    assert len(digest) == 16 and digest == accuracy.config_digest(
        Config(cfg.to_dict()))
    cfg.work_dir = str(tmp_path / 'elsewhere')
    assert accuracy.config_digest(cfg) == digest
    cfg.optim_wrapper.optimizer.lr = 0.025
    assert accuracy.config_digest(cfg) != digest


def test_a_finished_run_of_another_config_is_never_reused(tmp_path):
    """A (method, seed) finished before its config changed (or before runs
    kept digests) stops the script instead of standing in for the run."""
    cfg = _config_without_data(tmp_path)
    other = _config_without_data(tmp_path)
    other.optim_wrapper.optimizer.lr = 0.025
    _finished(tmp_path / 'kd_seed0', other)
    _finished(tmp_path / 'ce_seed0', None)
    for name in ('kd_seed0', 'ce_seed0'):
        with pytest.raises(SystemExit) as error:
            accuracy.Run(copy.deepcopy(cfg), name, str(tmp_path))
        message = str(error.value)
        assert f'{name}: ' in message and 'another config' in message
        assert '--set NAME' in message
    # a set's teacher from before digests is still its teacher
    run = accuracy.Run(copy.deepcopy(cfg), 'ce_seed0', str(tmp_path),
                       trust_undigested=True)
    assert run.done() and run.result()['last_test'] == 80.0
    # the records: a digest that differs, or none, marks a run stale
    runs = {'kd_seed0': dict(last_test=1.0, config_digest='0' * 16),
            'ce_seed0': dict(last_test=2.0),
            'vrm_seed0': dict(last_test=3.0,
                              config_digest=accuracy.config_digest(cfg))}
    wanted = {key: cfg for key in ('kd_seed0', 'ce_seed0', 'vrm_seed0',
                                   'dkd_seed0')}
    assert accuracy.stale_runs(runs, wanted) == ['ce_seed0', 'kd_seed0']


def test_collected_runs_keep_their_digest(tmp_path):
    cfg = _config_without_data(tmp_path)
    _finished(tmp_path / 'kd_seed0', cfg)
    _finished(tmp_path / 'ce_seed0', None)
    runs = accuracy.finished_runs(str(tmp_path))
    assert runs['kd_seed0']['config_digest'] == accuracy.config_digest(cfg)
    assert 'config_digest' not in runs['ce_seed0']


def test_a_run_records_last_and_best_epoch_top1(tmp_path):
    """The results schema: each run's test top-1 at its last epoch and at
    its best validation epoch, the epoch, and the validation curve."""
    from tiny_config_helpers import tiny_loader

    cfg = Config.fromfile(STUDENT_CONFIG)
    cfg.train_cfg.max_epochs = cfg.param_scheduler.T_max = 2
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'] = tiny_loader(
            cfg[f'{split}_dataloader'].to_dict())
    cfg.work_dir = str(tmp_path / 'run')
    config_path, out = str(tmp_path / 'config.py'), str(tmp_path / 'r.json')
    cfg.dump(config_path)
    accuracy.run_one(config_path, out)
    with open(out) as f:
        result = json.load(f)
    assert {'last_test', 'best_test', 'best_epoch', 'val_curve',
            'train_seconds'} <= set(result)
    assert result['best_epoch'] in (1, 2) and len(result['val_curve']) == 2
    for which in ('last_test', 'best_test'):  # k of the 3 test images
        assert min(abs(result[which] - 100 * k / 3) for k in range(4)) < 1e-4
