"""The accuracy benchmark's statistics, tables, run files and data configs.

Hand-computed values: sample standard deviation, per-seed paired
differences to VRM, and the subset of training images each config reads.
"""
import builtins
import copy
import json
import multiprocessing
import os
import os.path as osp
import sys

import accuracy
import pytest
import run_store
from accuracy_methods import STUDENT_CONFIG
from conftest import REPO_ROOT, write_fashion_mnist
from mmengine.config import Config

from vrm_mm.registry import DATASETS

RESULTS = osp.join(REPO_ROOT, 'benchmarks', 'results')
PROTOCOL = dict(command='python benchmarks/accuracy.py',
                machine=dict(device='cpu', cpu='test', nproc=2, torch='x',
                             commit='abc', date='2026-01-01T00:00:00+00:00'),
                teacher_test=90.0, teacher_epochs=3, student_epochs=8)


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


def _run(last, best, protocol=PROTOCOL):
    return dict(last_test=last, best_test=best, train_seconds=120.0,
                protocol=protocol)


RUNS = {'vrm_seed0': _run(85.0, 85.5), 'vrm_seed1': _run(86.0, 86.0),
        'ce_seed0': _run(81.0, 81.0), 'ce_seed1': _run(82.0, 82.5),
        'vrm_uep_none_seed1': _run(85.0, 85.0)}


def test_summary_table(tmp_path, monkeypatch):
    table = accuracy.summarise(copy.deepcopy(RUNS))
    summary = table['methods']
    assert summary['vrm']['mean'] == 85.5 and summary['vrm']['seeds'] == [
        0, 1]
    assert summary['ce']['best_test']['mean'] == pytest.approx(81.75)
    assert summary['ce']['train_minutes'] == 2.0
    text = table['markdown']
    # sample std of (81, 82) is 0.707; ce - vrm per seed: -4, -4
    assert '| ce | 81.50 ± 0.71 | 81.75 ± 1.06 | 2 | 2.0 | ' \
        '-4.00 ± 0.00 (n=2) |' in text
    assert '| vrm_uep_none | 85.00 | 85.00 | 1 | 2.0 | -1.00 (n=1) |' \
        in text
    assert 'more than one training of the teacher' not in text
    # the files: made from the set's run files
    monkeypatch.setattr(accuracy, 'RESULTS', str(tmp_path))
    folder = accuracy.runs_folder('')
    assert folder == str(tmp_path / 'runs' / 'accuracy')
    for name, run in RUNS.items():
        accuracy.record_run(folder, name, dict(run, config_digest='d' * 16))
    assert sorted(os.listdir(folder)) == sorted(
        f'{name}_{"d" * 16}.json' for name in RUNS)
    accuracy.write_results(folder, '')
    assert (tmp_path / 'accuracy.md').read_text() == text
    saved = json.loads((tmp_path / 'accuracy.json').read_text())
    assert saved['methods']['ce']['values'] == [81.0, 82.0]
    assert saved['protocol'] == PROTOCOL
    assert osp.getsize(tmp_path / 'accuracy.png') > 0


def test_summary_states_the_protocol_of_the_newest_run():
    later = dict(PROTOCOL, command='python benchmarks/accuracy.py --seeds 3',
                 machine=dict(PROTOCOL['machine'], commit='def',
                              date='2026-01-02T00:00:00+00:00'))
    runs = dict(RUNS, vrm_seed3=_run(85.0, 85.0, later))
    text = accuracy.summarise(runs)['markdown']
    assert '`python benchmarks/accuracy.py --seeds 3`' in text
    assert 'commit def' in text
    with pytest.raises(ValueError, match='records its protocol'):
        accuracy.summarise({'vrm_seed0': dict(last_test=1.0)})


def test_summarise_is_pure(monkeypatch):
    """Same runs, same table; the runs are not changed and no file is
    opened, written or replaced."""
    runs = copy.deepcopy(RUNS)
    first = accuracy.summarise(runs, '_x')

    def no_io(*args, **kwargs):
        raise AssertionError(f'summarise did IO: {args}')

    for module, name in ((builtins, 'open'), (os, 'replace'),
                         (os, 'makedirs'), (os, 'remove')):
        monkeypatch.setattr(module, name, no_io)
    second = accuracy.summarise(runs, '_x')
    monkeypatch.undo()
    assert first == second and runs == RUNS
    assert second['markdown'].startswith(
        '# Distillation accuracy on Fashion-MNIST x\n')


def test_summary_names_the_teachers_when_runs_mix_them():
    runs = {'vrm_seed0': dict(_run(85.0, 85.0), teacher_test=90.76),
            'kd_seed0': dict(_run(84.0, 84.0), teacher_test=90.5)}
    table = accuracy.summarise(runs)['markdown']
    assert '| kd | 84.00 | 84.00 | 1 | 2.0 | n/a |' in table
    assert '* 90.76: vrm' in table and '* 90.50: kd' in table


def test_committed_released_table_is_made_from_its_run_files():
    """The runs converted to one file per run give the committed table,
    Markdown and JSON, number for number."""
    runs = run_store.read_runs(osp.join(RESULTS, 'runs',
                                        'accuracy_released'))
    assert len(runs) == 39
    assert all(len(run['config_digest']) == 16 for run in runs.values())
    table = accuracy.summarise(runs, '_released')
    with open(osp.join(RESULTS, 'accuracy_released.md')) as f:
        assert table['markdown'] == f.read()
    with open(osp.join(RESULTS, 'accuracy_released.json')) as f:
        assert json.load(f) == json.loads(json.dumps(
            dict(protocol=table['protocol'], methods=table['methods'])))


def _writer(folder: str, results: str, seed: int, count: int) -> None:
    """One part: records ``count`` runs, rewriting the tables after each
    (as accuracy.py's ``record`` does)."""
    accuracy.RESULTS = results
    accuracy.write_plot = lambda summary, path: None  # the PNG: slow
    for i in range(count):
        name = f'{("kd", "vrm")[i % 2]}_seed{seed * 100 + i}'
        accuracy.record_run(folder, name, dict(
            _run(80.0 + i, 80.0), config_digest=f'{i:016d}'))
        accuracy.write_results(folder, '')


def test_parallel_parts_lose_no_run(tmp_path):
    """Two processes record different runs of one set at the same time:
    every run keeps its file and the last table written has them all."""
    folder = str(tmp_path / 'runs' / 'accuracy')
    context = multiprocessing.get_context('fork')
    parts = [context.Process(target=_writer,
                             args=(folder, str(tmp_path), seed, 12))
             for seed in (1, 2)]
    for part in parts:
        part.start()
    for part in parts:
        part.join(60)
        assert part.exitcode == 0
    runs = run_store.read_runs(folder)
    assert len(runs) == 24
    table = json.loads((tmp_path / 'accuracy.json').read_text())
    assert len(table['methods']['kd']['seeds']) == 12
    assert len(table['methods']['vrm']['seeds']) == 12
    assert not [name for name in os.listdir(folder)
                if name.startswith('.tmp_')]


def test_a_run_recorded_twice_stops_the_table(tmp_path):
    folder = str(tmp_path)
    run_store.write_run(folder, 'kd_seed0', _run(1.0, 1.0), 'a' * 16)
    run_store.write_run(folder, 'kd_seed0', _run(2.0, 2.0), 'b' * 16)
    with pytest.raises(ValueError, match="'kd_seed0' is recorded twice"):
        run_store.read_runs(folder)


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


@pytest.mark.slow
def test_failed_run_exits_with_the_end_of_its_log(tmp_path):
    """End to end: a real ``--run-one`` subprocess fails (no data)."""
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


def _failing_runs(monkeypatch):
    """Runs whose subprocess fails at once (writing a log line): the
    bookkeeping of failures without a training's start-up."""
    monkeypatch.setattr(accuracy, 'POLL_S', 0.05)
    monkeypatch.setattr(accuracy, 'run_command', lambda config, out: [
        sys.executable, '-c',
        'import sys; print("no data here"); sys.exit(1)'])


def test_parallel_runs_keep_finished_work_and_report_every_failure(
        tmp_path, monkeypatch):
    _failing_runs(monkeypatch)
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
    assert 'no data here' in message  # each log's tail


def test_no_new_run_starts_after_a_failure(tmp_path, monkeypatch):
    _failing_runs(monkeypatch)
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


def test_main_saves_each_finished_run_and_refuses_another_config(
        tmp_path, monkeypatch, capsys):
    """``accuracy.py --set t --methods kd ce``: the teacher and the
    students' training stand in (their bookkeeping is tested above); each
    student run gets its own file named by its config digest, the table
    has them all, and a later call with another config stops."""
    monkeypatch.setattr(accuracy, 'RESULTS', str(tmp_path / 'results'))
    monkeypatch.setattr(accuracy, 'REPO_ROOT', str(tmp_path))
    monkeypatch.setattr(accuracy, 'ensure_data', lambda root: None)
    monkeypatch.setattr(accuracy, 'write_plot', lambda summary, path: None)
    teacher_dir = tmp_path / 'work_dirs' / 'bench_accuracy_t' / 'teacher_3e'
    teacher_dir.mkdir(parents=True)
    (teacher_dir / 'last_checkpoint').write_text('teacher.pth')
    monkeypatch.setattr(accuracy, 'train_in_subprocess',
                        lambda *args, **kwargs: dict(last_test=90.0))

    def train(todo, work_root, jobs, record):
        for name, cfg in todo:
            record(name, dict(_run(80.0, 81.0), best_epoch=8,
                              config_digest=accuracy.config_digest(cfg)))

    monkeypatch.setattr(accuracy, 'train_students', train)
    argv = ['accuracy.py', '--set', 't', '--methods', 'kd', 'ce', '--seeds',
            '0', '1']
    monkeypatch.setattr(sys, 'argv', argv)
    accuracy.main()
    folder = tmp_path / 'results' / 'runs' / 'accuracy_t'
    runs = run_store.read_runs(str(folder))
    assert sorted(runs) == ['ce_seed0', 'ce_seed1', 'kd_seed0', 'kd_seed1']
    assert all(osp.isfile(folder / f"{name}_{run['config_digest']}.json")
               and run['teacher_test'] == 90.0 for name, run in runs.items())
    table = (tmp_path / 'results' / 'accuracy_t.md').read_text()
    assert '| kd | 80.00 ± 0.00 | 81.00 ± 0.00 | 2 |' in table
    assert '--set t --methods kd ce --seeds 0 1' in table
    # another config of kd (here: 4 epochs) is not mixed in
    monkeypatch.setattr(sys, 'argv', [*argv, '--epochs', '4'])
    with pytest.raises(SystemExit, match='another config'):
        accuracy.main()
    assert len(run_store.read_runs(str(folder))) == 4
