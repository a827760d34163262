"""One-off: results kept before run files, converted to one file per run.

    python benchmarks/legacy_runs.py [--results DIR] [--delete]

The accuracy sets kept all their runs in one JSON file,
``results/accuracy<tag>_runs.json`` (rewritten whole by every part, so
parts running in parallel could lose each other's runs), beside
``results/accuracy<tag>.json`` whose ``protocol`` the table states. Each
run becomes ``results/runs/accuracy<tag>/<run>_<config digest>.json``
(``<run>.json`` for runs recorded before digests were kept) holding its
record as it was, plus that set's ``protocol`` and ``migrated_from``
(the protocol is the one of the set's last call, which the committed
table states; the call that trained the run is unrecorded). The speed
benchmarks' results (``train_speed``, ``train_speed_methods``,
``loss_speed``, ``gather_cost``) each held one run with its metadata: it
becomes ``results/runs/<benchmark>/<date>.json``, unchanged. Numbers are
copied, never recomputed. A run file already there is left as it is;
``--delete`` removes the ``*_runs.json`` files once converted.
"""
import argparse
import glob
import json
import os
import os.path as osp

import run_store

HERE = osp.dirname(osp.abspath(__file__))
# benchmark -> the run set its single-run result joins
SPEED = dict(train_speed='train_speed', train_speed_methods='train_speed',
             loss_speed='loss_speed', gather_cost='gather_cost')


def convert_accuracy(results: str, runs_path: str) -> list:
    """The run files of one ``accuracy<tag>_runs.json``; returns their
    paths."""
    tag = osp.basename(runs_path)[:-len('_runs.json')]
    with open(runs_path) as f:
        runs = json.load(f)
    with open(osp.join(results, f'{tag}.json')) as f:
        protocol = json.load(f)['protocol']
    folder = osp.join(results, 'runs', tag)
    written = []
    source = osp.relpath(runs_path, osp.dirname(HERE))
    for name, record in runs.items():
        path = run_store.run_file(folder, name,
                                  record.get('config_digest'))
        if not osp.exists(path):
            run_store.write_run(folder, name, dict(
                record, protocol=protocol, migrated_from=source),
                record.get('config_digest'))
            written.append(path)
    return written


def convert_speed(results: str, stem: str) -> list:
    """The run file of one speed benchmark's ``<stem>.json``."""
    path = osp.join(results, f'{stem}.json')
    if not osp.isfile(path):
        return []
    with open(path) as f:
        record = json.load(f)
    date = record['metadata']['date']
    name = date.replace('-', '').replace(':', '').replace('+0000', 'Z')
    folder = osp.join(results, 'runs', SPEED[stem])
    out = run_store.run_file(folder, name)
    if osp.exists(out):
        return []
    run_store.write_run(folder, name, record)  # already has its metadata
    return [out]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results', default=osp.join(HERE, 'results'))
    parser.add_argument('--delete', action='store_true',
                        help='remove the *_runs.json files once converted')
    args = parser.parse_args(argv)
    written = []
    for runs_path in sorted(glob.glob(osp.join(args.results,
                                               'accuracy*_runs.json'))):
        written += convert_accuracy(args.results, runs_path)
        if args.delete:
            os.remove(runs_path)
    for stem in SPEED:
        written += convert_speed(args.results, stem)
    print(f'{len(written)} run files written under '
          f'{osp.join(args.results, "runs")}')


if __name__ == '__main__':
    main()
