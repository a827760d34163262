"""Benchmark results, one file per finished run.

Every benchmark writes each finished run to its own JSON file under
``benchmarks/results/runs/<set>/`` (``<set>``: ``accuracy``,
``accuracy_released``, ``train_speed``, ...), written atomically (a
temporary file in the same folder, then ``os.replace``), and never rewrites
another run's file. Its tables (``.md``/``.json``/``.png``) are then made
from all the run files of the set by a pure function, so parts that run in
parallel cannot lose each other's runs: a table written by one part from
fewer runs is rewritten complete by the next.

A run file holds one JSON object; its ``name`` is the run's key in the set
(``kd@bs32_seed1`` for the accuracy benchmark, the UTC start time for the
speed benchmarks). The file name only has to be unique.
"""
import contextlib
import datetime
import fcntl
import glob
import hashlib
import json
import os
import os.path as osp
import tempfile

RUNS_ROOT = osp.join(osp.dirname(osp.abspath(__file__)), 'results', 'runs')


def set_folder(run_set: str, root: str = None) -> str:
    """The folder of a set's run files."""
    return osp.join(root or RUNS_ROOT, run_set)


def digest_of(obj) -> str:
    """A short digest of a JSON-able object (a run's content)."""
    text = json.dumps(obj, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder
    and ``os.replace``: a reader sees the old file or the new one, never
    half of one, and two writers never mix their bytes."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_',
                                   suffix=osp.basename(path))
    try:
        with os.fdopen(handle, 'w') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_json_atomic(path: str, obj) -> None:
    """``write_text_atomic`` of ``obj`` as indented JSON."""
    write_text_atomic(path, json.dumps(obj, indent=1))


def run_file(folder: str, name: str, digest: str = None) -> str:
    """``<folder>/<name>_<digest>.json``, or ``<name>.json`` without a
    digest (a run recorded before its config digest was kept)."""
    safe = name.replace(os.sep, '_').replace(':', '-')
    return osp.join(folder, f'{safe}_{digest}.json' if digest
                    else f'{safe}.json')


def write_run(folder: str, name: str, record: dict,
              digest: str = None) -> str:
    """Save one finished run as its own file; returns its path."""
    path = run_file(folder, name, digest)
    write_json_atomic(path, dict(record, name=name))
    return path


def read_runs(folder: str) -> dict:
    """``{name: record}`` of every run file in ``folder`` (empty when it
    does not exist). Two files of one run name (e.g. of two configs)
    cannot both stand for it: that stops with the two paths."""
    runs, paths = {}, {}
    for path in sorted(glob.glob(osp.join(folder, '*.json'))):
        with open(path) as f:
            record = json.load(f)
        name = record.pop('name', None)
        if name is None:
            raise ValueError(
                f'{path} is not a run file (it has no "name"); move it '
                f'out of {folder}.')
        if name in runs:
            raise ValueError(
                f'run {name!r} is recorded twice, in {paths[name]} and '
                f'{path} (another config or another copy of the run); '
                'delete the one that must not be in the table.')
        runs[name], paths[name] = record, path
    return runs


@contextlib.contextmanager
def locked(folder: str):
    """Hold an exclusive lock on a set (``<folder>/.lock``) while its
    tables are read from the run files and written: of two parts that
    record runs at the same time, the one that writes the tables last
    has read every run the other saved before."""
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, '.lock'), 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def utc_stamp() -> str:
    """``YYYYmmddTHHMMSSffffffZ``: a run name that sorts by time."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y%m%dT%H%M%S%fZ')


def newest(runs: dict, date_of) -> tuple:
    """``(name, record)`` of the run with the latest ``date_of(record)``
    (ISO-8601 UTC strings sort by time), ties broken by name; None for no
    runs."""
    if not runs:
        return None
    name = max(runs, key=lambda n: (date_of(runs[n]), n))
    return name, runs[name]


def record_invocation(folder: str, record: dict) -> dict:
    """Save the run of one benchmark call (named by its UTC time) as its
    own file; returns every run of ``folder``, this one included."""
    write_run(folder, utc_stamp(), record, digest_of(record))
    return read_runs(folder)


def newest_by_date(runs: dict, where=lambda run: run) -> tuple:
    """``newest`` of runs whose ``where(run)['metadata']['date']`` is
    their date (the speed benchmarks' records)."""
    return newest(runs, lambda run: where(run)['metadata']['date'])
