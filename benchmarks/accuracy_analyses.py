"""VRM's analyses from the accuracy benchmark's finished runs.

    python benchmarks/accuracy_analyses.py [--runs RUNS] [--out DIR]

Trains nothing: reads the run files of a set, by default
``benchmarks/results/runs/accuracy/`` (made by ``benchmarks/accuracy.py``,
with ``--variant`` for the sweeps; ``--runs`` takes a set's folder, a
JSON file ``{run: record}``, or the name the set's runs had before they
were kept one file per run, ``benchmarks/results/accuracy_NAME_runs.json``,
which reads ``runs/accuracy_NAME/``) and writes,
under ``benchmarks/results/analysis/``, JSON + Markdown + PNG of

* ``batch_size``: last-epoch test top-1 against batch size (lr scaled
  linearly) for KD, DIST, RKD and VRM;
* ``view_strength``: VRM against RandAugment magnitude (0 = off), number of
  ops, and Cutout;
* ``overfitting``: train-subset and validation-slice top-1 per epoch, and
  their gap, for CE, KD, DIST, RKD and VRM.

A point lists the seeds it has; a missing point is shown as missing, never
filled in.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np
import run_store
from accuracy_variants import DEFAULT_POINTS

HERE = osp.dirname(osp.abspath(__file__))
RUNS = osp.join(HERE, 'results', 'runs', 'accuracy')
OUT = osp.join(HERE, 'results', 'analysis')
BATCH_METHODS = ('kd', 'dist', 'rkd', 'vrm')
OVERFIT_METHODS = ('ce', 'kd', 'dist', 'rkd', 'vrm')
# each sweep: setting -> {value: the run name prefix giving it}
VIEW_STRENGTH = {
    'magnitude': {0: 'vrm@ra_off', 2: 'vrm@mag2', 5: 'vrm_magnitude_5',
                  7: 'vrm@mag7', DEFAULT_POINTS['magnitude']: 'vrm'},
    'num_ops': {1: 'vrm@ops1', DEFAULT_POINTS['num_ops']: 'vrm',
                3: 'vrm@ops3'},
    'cutout': {'off': 'vrm', 'on': 'vrm@cutout'},
}


def seeds_of(runs: dict, prefix: str) -> Dict[int, dict]:
    """``{seed: run}`` of the runs named ``<prefix>_seed<s>``."""
    return {int(name.rsplit('_seed', 1)[1]): run
            for name, run in runs.items()
            if name.rsplit('_seed', 1)[0] == prefix}


def point(runs: dict, prefix: str, reference: str = None) -> dict:
    """Mean and sample std of the last-epoch test top-1 over the seeds,
    and with a ``reference`` prefix the paired difference to it (mean and
    sample std over the seeds both have)."""
    values = {s: r['last_test'] for s, r in sorted(seeds_of(runs,
                                                            prefix).items())}
    if not values:
        return dict(seeds=[], mean=None, std=None)
    v = list(values.values())
    result = dict(seeds=list(values), values=v, mean=float(np.mean(v)),
                  std=float(np.std(v, ddof=1)) if len(v) > 1 else None)
    if reference is not None and reference != prefix:
        base = seeds_of(runs, reference)
        diffs = [values[s] - base[s]['last_test'] for s in values
                 if s in base]
        result['paired'] = dict(
            seeds=[s for s in values if s in base],
            mean=float(np.mean(diffs)) if diffs else None,
            std=float(np.std(diffs, ddof=1)) if len(diffs) > 1 else None)
    return result


def _cell(p: dict) -> str:
    if p['mean'] is None:
        return 'not run'
    std = '' if p['std'] is None else f" ± {p['std']:.2f}"
    return f"{p['mean']:.2f}{std} (n={len(p['seeds'])})"


def _paired_cell(p: dict) -> str:
    if 'paired' not in p:
        return 'reference' if p['mean'] is not None else 'not run'
    q = p['paired']
    if q['mean'] is None:
        return 'no common seed'
    std = '' if q['std'] is None else f" ± {q['std']:.2f}"
    return f"{q['mean']:+.2f}{std} (n={len(q['seeds'])})"


def batch_size(runs: dict) -> dict:
    sizes = (16, 32, DEFAULT_POINTS['batch_size'], 128)
    return {m: {size: point(runs, m if size == DEFAULT_POINTS['batch_size']
                            else f'{m}@bs{size}', m) for size in sizes}
            for m in BATCH_METHODS}


def view_strength(runs: dict) -> dict:
    return {setting: {value: point(runs, prefix, 'vrm')
                      for value, prefix in values.items()}
            for setting, values in VIEW_STRENGTH.items()}


def overfitting(runs: dict) -> dict:
    """Per method: mean train and val curves over the runs that have a
    train curve, and the last-epoch gap (train - val)."""
    result = {}
    others = sorted({name.rsplit('_seed', 1)[0] for name, r in runs.items()
                     if '@' not in name and r.get('train_curve')}
                    - set(OVERFIT_METHODS))
    for method in (*OVERFIT_METHODS, *others):
        with_curves = [r for r in seeds_of(runs, method).values()
                       if r.get('train_curve')]
        if not with_curves:
            result[method] = dict(seeds=0)
            continue
        train = np.mean([r['train_curve'] for r in with_curves], axis=0)
        val = np.mean([r['val_curve'] for r in with_curves], axis=0)
        result[method] = dict(seeds=len(with_curves), train=train.tolist(),
                              val=val.tolist(),
                              gap_curve=(train - val).tolist(),
                              gap=float(train[-1] - val[-1]))
    return result


def _table(title: str, rows: Dict[str, dict], column: str) -> List[str]:
    """The points, then their paired differences to the default setting
    (same seeds: the seed-to-seed spread cancels)."""
    values = list(next(iter(rows.values())))
    head = [f'| {column} | ' + ' | '.join(map(str, values)) + ' |',
            '|---' * (len(values) + 1) + '|']
    lines = [f'## {title}', '', *head]
    lines += [f'| {name} | ' + ' | '.join(_cell(row[v]) for v in values)
              + ' |' for name, row in rows.items()]
    lines += ['', 'Paired with the default, seed by seed (this point - '
              'the default):', '', *head]
    lines += [f'| {name} | ' + ' | '.join(_paired_cell(row[v])
                                          for v in values)
              + ' |' for name, row in rows.items()]
    return lines + ['']


def _plot(path: str, series: Dict[str, dict], xlabel: str,
          log_x: bool = False) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, points in series.items():
        xs = [x for x, p in points.items() if p['mean'] is not None]
        ax.errorbar([str(x) for x in xs] if not log_x else xs,
                    [points[x]['mean'] for x in xs],
                    yerr=[points[x]['std'] or 0 for x in xs], marker='o',
                    capsize=3, label=name)
    if log_x:
        ax.set_xscale('log', base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel('test top-1, last epoch (%)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_curves(path: str, curves: dict) -> None:
    """Train (solid) and val (dashed) top-1 per epoch of the pilot study's
    methods, and every method's train - val gap per epoch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax, gap_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (method, entry) in enumerate(curves.items()):
        if not entry['seeds']:
            continue
        epochs = range(1, len(entry['train']) + 1)
        if method in OVERFIT_METHODS:
            ax.plot(epochs, entry['train'], '-', color=f'C{i}',
                    label=f'{method} train')
            ax.plot(epochs, entry['val'], '--', color=f'C{i}',
                    label=f'{method} val')
        gap_ax.plot(epochs, entry['gap_curve'], '-o', ms=3, color=f'C{i}',
                    label=f'{method} (n={entry["seeds"]})')
    ax.set_xlabel('epoch')
    ax.set_ylabel('top-1 (%)')
    ax.legend(fontsize=7, ncol=2)
    gap_ax.axhline(0, color='grey', lw=0.8)
    gap_ax.set_xlabel('epoch')
    gap_ax.set_ylabel('train - val top-1 (points)')
    gap_ax.set_title('gap (> 0: fits the training images better)')
    gap_ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def command_line(argv) -> str:
    args = sys.argv[1:] if argv is None else argv
    return ' '.join(['python benchmarks/accuracy_analyses.py', *args])


def runs_source(path: str) -> tuple:
    """``(folder or file, table name)`` of ``--runs``: a set's folder of
    run files, a JSON file of runs, or a set's former
    ``accuracy<tag>_runs.json`` (now ``runs/accuracy<tag>/`` beside it)."""
    base = osp.basename(osp.normpath(path))
    if not osp.exists(path) and base.endswith('_runs.json'):
        folder = osp.join(osp.dirname(path), 'runs',
                          base[:-len('_runs.json')])
        if osp.isdir(folder):
            return folder, base[:-len('_runs.json')]
    if osp.isdir(path):
        return path, base
    if osp.isfile(path):
        return path, base.replace('_runs.json', '').replace('.json', '')
    sys.exit(f'[accuracy_analyses] no runs at {path}: give a set\'s folder '
             'of run files (benchmarks/results/runs/accuracy[_NAME]/), '
             'made by benchmarks/accuracy.py.')


def read_runs(path: str) -> dict:
    """``{run: record}`` from a folder of run files or a JSON file."""
    if osp.isdir(path):
        return run_store.read_runs(path)
    with open(path) as f:
        return json.load(f)


def write(out: str, name: str, data: dict, lines: List[str]) -> None:
    run_store.write_text_atomic(osp.join(out, f'{name}.json'),
                                json.dumps(data, indent=1, default=str))
    run_store.write_text_atomic(osp.join(out, f'{name}.md'),
                                '\n'.join(lines) + '\n')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', default=RUNS)
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args(argv)
    path, table = runs_source(args.runs)
    runs = read_runs(path)
    os.makedirs(args.out, exist_ok=True)
    source = (f'From `{osp.relpath(path, osp.dirname(HERE))}` by '
              f'`{command_line(argv)}`; Fashion-MNIST protocol of '
              f'benchmarks/results/{table}.md. Last-epoch test top-1 (%), '
              'mean ± sample std (n = seeds).')

    sizes = batch_size(runs)
    lines = ['# Batch-size robustness', '', source, '',
             'Runs: `python benchmarks/accuracy.py --methods kd dist rkd vrm '
             '--variant bs<N> --seeds ...` (lr scaled linearly from 0.05 at '
             '64).', ''] + _table('Test top-1 by batch size', sizes,
                                  'method \\ batch')
    write(args.out, 'batch_size', sizes, lines)
    _plot(osp.join(args.out, 'batch_size.png'), sizes, 'batch size', True)

    strength = view_strength(runs)
    lines = ['# Virtual-view strength (VRM)', '', source, '',
             'Runs: `python benchmarks/accuracy.py --methods vrm --variant '
             'ra_off|mag2|mag7|ops1|ops3|cutout --seeds ...`; magnitude 5 is '
             'the ablation `vrm_magnitude_5`, the defaults (magnitude 10, 2 '
             'ops, no Cutout) are the `vrm` runs.', '']
    for setting, row in strength.items():
        lines += _table(setting, {'vrm': row}, setting)
    write(args.out, 'view_strength', strength, lines)
    _plot(osp.join(args.out, 'view_strength.png'),
          {'magnitude (0 = off)': strength['magnitude']},
          'RandAugment magnitude')

    curves = overfitting(runs)
    lines = ['# Overfitting: train vs validation accuracy', '', source, '',
             'Train: 1000 fixed, un-augmented training images '
             '(TrainSubsetAccuracyHook); val: the 5k validation slice of the '
             'training split, never trained on. Gap = train − val at the '
             'last epoch, mean over the runs with a train curve.', '',
             '| method | runs | last train | last val | gap |',
             '|---|---|---|---|---|']
    for method, entry in curves.items():
        if entry['seeds']:
            lines.append(f"| {method} | {entry['seeds']} | "
                         f"{entry['train'][-1]:.2f} | {entry['val'][-1]:.2f}"
                         f" | {entry['gap']:+.2f} |")
        else:
            lines.append(f'| {method} | 0 | not run | | |')
    write(args.out, 'overfitting', curves, lines)
    _plot_curves(osp.join(args.out, 'overfitting.png'), curves)
    for name in ('batch_size', 'view_strength', 'overfitting'):
        print(open(osp.join(args.out, f'{name}.md')).read())


if __name__ == '__main__':
    main()
