"""Plot accuracy and every logged loss term against epoch, for several runs.

    python tools/analysis/plot_curves.py WORK_DIR... [--labels A B ...]
        [--out work_dirs/curves.png]

Reads each run's ``vis_data/scalars.json`` (mmengine's LocalVisBackend, on
in every config), draws one panel for validation top-1 (the teacher's, where
TeacherEvalHook logged it, dashed) and one per loss term (each run a line,
epoch means of the logged values), writes the PNG,
a JSON of exactly what it plotted (``OUT`` with ``.json``), and prints a
table: epochs, last and best top-1, last total loss per run.

TensorBoard instead, or as well: add to the config (configs/README.md)
``visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
dict(type='TensorboardVisBackend')])`` and run ``tensorboard --logdir
WORK_DIR``.
"""
import argparse
import json
import math
import os
import os.path as osp
from typing import Dict, List

from vrm_mm.analysis.curves import Curve, read_curves, whole_epoch_axis
from vrm_mm.runtime.cli import clear_errors

ACCURACY = 'accuracy/top1'
TEACHER = 'teacher/accuracy/top1'  # TeacherEvalHook, drawn dashed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot accuracy and loss curves of training runs.')
    parser.add_argument('work_dirs', nargs='+', help='work directories')
    parser.add_argument('--labels', nargs='+',
                        help='one legend label per run (default: the '
                        'work directory names)')
    parser.add_argument('--out', default='work_dirs/curves.png',
                        help='output PNG; the JSON goes next to it')
    return parser.parse_args(argv)


def panels(runs: Dict[str, Dict[str, Curve]]) -> List[str]:
    """Top-1 first, then the total loss, then every other loss term."""
    names = {name for curves in runs.values() for name in curves}
    losses = sorted(name for name in names if name.startswith('loss_'))
    return [name for name in (ACCURACY, 'loss') if name in names] + losses


def plot(runs: Dict[str, Dict[str, Curve]], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = panels(runs)
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.3 * rows),
                             squeeze=False)
    for ax, name in zip(axes.flat, names):
        for label, curves in runs.items():
            if name in curves:
                epochs, values = zip(*curves[name])
                line, = ax.plot(epochs, values, marker='o', label=label)
                if name == ACCURACY and TEACHER in curves:
                    ax.axhline(curves[TEACHER][-1][1], linestyle='--',
                               color=line.get_color(),
                               label=f'{label}: teacher')
        ax.set_title('val top-1 (%)' if name == ACCURACY else name)
        whole_epoch_axis(ax)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis('off')
    axes.flat[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(runs: Dict[str, Dict[str, Curve]]) -> str:
    lines = [f'{"run":<24} {"epochs":>6} {"last top-1":>10} '
             f'{"best top-1 (epoch)":>18} {"last loss":>9}']
    for label, curves in runs.items():
        top1 = curves.get(ACCURACY, [])
        loss = curves.get('loss', [])
        epochs = max((points[-1][0] for points in curves.values() if points),
                     default=0)
        best = max(top1, key=lambda point: point[1]) if top1 else None
        lines.append(
            f'{label:<24} {epochs:>6} '
            f'{top1[-1][1] if top1 else float("nan"):>10.2f} '
            f'{f"{best[1]:.2f} ({best[0]})" if best else "-":>18} '
            f'{loss[-1][1] if loss else float("nan"):>9.4f}')
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('plot_curves', (ValueError, OSError)):
        labels = args.labels or [
            osp.basename(osp.normpath(work_dir)) for work_dir in args.work_dirs
        ]
        if len(labels) != len(args.work_dirs) or len(set(labels)) != len(
                labels):
            raise ValueError(
                f'--labels needs {len(args.work_dirs)} distinct labels, one '
                f'per work directory; got {labels}.')
        runs = {
            label: read_curves(work_dir)
            for label, work_dir in zip(labels, args.work_dirs)
        }
        shown = panels(runs) + [TEACHER]
        runs = {
            label: {name: curves[name] for name in shown if name in curves}
            for label, curves in runs.items()
        }
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        plot(runs, args.out)
        with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
            json.dump(runs, f)
    print(table(runs))
    print(f'curves of {len(runs)} run(s) written to {args.out} and '
          f'{osp.splitext(args.out)[0]}.json')


if __name__ == '__main__':
    main()
