"""One file per benchmark run: atomic writes, the newest run's tables, and
the committed speed results made again from their run files."""
import json
import os
import os.path as osp
import threading

import gather_cost
import loss_speed
import pytest
import run_store
import train_speed
from conftest import REPO_ROOT

RESULTS = osp.join(REPO_ROOT, 'benchmarks', 'results')


def test_a_run_file_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    path = run_store.write_run(str(tmp_path), 'kd_seed0', dict(x=1), 'ab')
    assert osp.basename(path) == 'kd_seed0_ab.json'
    assert run_store.read_runs(str(tmp_path)) == {'kd_seed0': dict(x=1)}

    def full_disk(*args, **kwargs):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'replace', full_disk)
    with pytest.raises(OSError, match='No space'):
        run_store.write_run(str(tmp_path), 'kd_seed0', dict(x=2), 'ab')
    monkeypatch.undo()
    # the old file is intact and no temporary file is left behind
    assert os.listdir(tmp_path) == ['kd_seed0_ab.json']
    assert run_store.read_runs(str(tmp_path)) == {'kd_seed0': dict(x=1)}


def test_threads_recording_runs_lose_none(tmp_path):
    folder = str(tmp_path)

    def part(seed):
        for i in range(30):
            run_store.record_invocation(folder, dict(
                metadata=dict(date=f'2026-01-01T00:00:{i:02d}+00:00'),
                part=seed, i=i))

    threads = [threading.Thread(target=part, args=(s, )) for s in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = run_store.read_runs(folder)
    assert sorted((r['part'], r['i']) for r in runs.values()) == sorted(
        (s, i) for s in (0, 1) for i in range(30))


def test_a_file_that_is_not_a_run_is_named(tmp_path):
    (tmp_path / 'notes.json').write_text('{}')
    with pytest.raises(ValueError, match='notes.json is not a run file'):
        run_store.read_runs(str(tmp_path))


def _speed(date, stem):
    """The committed ``<stem>.json`` run, dated ``date``."""
    with open(osp.join(RESULTS, f'{stem}.json')) as f:
        record = json.load(f)
    record['metadata'] = dict(record['metadata'], date=date)
    return record


def test_train_speed_tables_keep_the_newest_full_run():
    """A --methods-only call after a full run gives the cost table but
    leaves train_speed.* to the full run; tables() reads no file."""
    runs = {'a': _speed('2026-01-01T00:00:00+00:00', 'train_speed'),
            'b': _speed('2026-01-02T00:00:00+00:00', 'train_speed_methods')}
    found = train_speed.tables(runs)
    assert found['train_speed'][0] is runs['a']
    assert found['train_speed_methods'][0] == runs['b']
    assert 'breakdown' not in train_speed.tables(
        {'a': runs['a']})['train_speed_methods'][0]
    assert train_speed.tables({}) == {}


@pytest.mark.parametrize('bench, stems', [
    ('train_speed', ('train_speed', 'train_speed_methods')),
    ('loss_speed', ('loss_speed', )),
    ('gather_cost', ('gather_cost', ))])
def test_committed_speed_tables_are_made_from_their_run_files(bench, stems):
    runs = run_store.read_runs(osp.join(RESULTS, 'runs', bench))
    if bench == 'train_speed':
        found = train_speed.tables(runs)
    else:
        found = {bench: {'loss_speed': loss_speed,
                         'gather_cost': gather_cost}[bench].tables(runs)}
    assert sorted(found) == sorted(stems)
    for stem, (result, text) in found.items():
        with open(osp.join(RESULTS, f'{stem}.md')) as f:
            assert text == f.read()
        with open(osp.join(RESULTS, f'{stem}.json')) as f:
            assert json.load(f) == json.loads(json.dumps(result))
