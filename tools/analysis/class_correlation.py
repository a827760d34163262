"""Teacher-student difference of the class-correlation matrices of logits.

    python tools/analysis/class_correlation.py
        --teacher CONFIG CHECKPOINT --student LABEL CONFIG CHECKPOINT
        [--student ...] [--num-samples N] [--split test]
        [--cfg-options KEY=VALUE ...] [--quick]
        [--out work_dirs/analysis/class_correlation]

mdistiller's visualisation (its ``tools/visualizations/correlation``): for
each network, ``M[c]`` = the mean logit vector over the split's images of
true class ``c`` (C x C); the heatmap shows ``|M_S - M_T|`` with the
diagonal zeroed, i.e. how far the student's logit of every *other* class
is from the teacher's. Lower = the student reproduces the teacher's
inter-class relations more closely. The figure per student is the mean of
the C(C-1) off-diagonal entries (mdistiller prints the mean over all C^2,
diagonal zeros included; that is ``(C-1)/C`` of ours) and their max. One
colour scale for all heatmaps (mdistiller fixes it to 3.0; here the
largest entry over the students), so they compare.

``--teacher`` takes the teacher's own classifier config (e.g.
benchmarks/configs/fmnist_teacher_resnet20.py); each ``--student`` a
classifier or distiller config and its checkpoint. Writes OUT.json,
OUT.png, OUT.md and prints the table.
"""
import argparse

import numpy as np

from vrm_mm.analysis import representation as rep
from vrm_mm.runtime.cli import clear_errors

QUICK = 64


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--teacher', nargs=2, required=True,
                        metavar=('CONFIG', 'CHECKPOINT'))
    rep.add_model_args(parser, 'class_correlation')
    parser.add_argument('--num-samples', type=int, default=None,
                        help='the first N images of the split (default all)')
    parser.add_argument('--quick', action='store_true',
                        help=f'{QUICK} samples')
    args = parser.parse_args(argv)
    if args.quick:
        args.num_samples = QUICK
    return args


def class_matrix(config: str, checkpoint: str, args) -> tuple:
    """The network's class-mean logits, top-1 and sample count."""
    out = rep.outputs(*rep.load_batches(config, checkpoint, args))
    classes = out['logits'].shape[1]
    return (rep.class_mean_logits(out['logits'], out['labels'], classes),
            rep.accuracy(out['logits'], out['labels']), len(out['labels']))


def run(args) -> dict:
    rep.check_labels(args.student)
    teacher, teacher_top1, samples = class_matrix(*args.teacher, args)
    students = {}
    for label, config, checkpoint in args.student:
        matrix, top1, _ = class_matrix(config, checkpoint, args)
        if matrix.shape != teacher.shape:
            raise ValueError(
                f'{label} has {matrix.shape[0]} classes, the teacher '
                f'{teacher.shape[0]}: give networks of the same task.')
        diff = rep.correlation_difference(matrix, teacher)
        off = ~np.eye(len(diff), dtype=bool) & np.isfinite(diff)
        students[label] = dict(
            config=config, checkpoint=checkpoint, accuracy=top1,
            mean_abs_diff=float(diff[off].mean()),
            max_abs_diff=float(diff[off].max()), diff=diff.tolist())
    return dict(teacher=dict(config=args.teacher[0],
                             checkpoint=args.teacher[1],
                             accuracy=teacher_top1,
                             class_mean_logits=teacher.tolist()),
                samples=samples, split=args.split, students=students)


def table(result: dict) -> str:
    lines = [f'teacher top-1 {result["teacher"]["accuracy"]:.2f}% on '
             f'{result["samples"]} {result["split"]} images', '',
             '| student | top-1 (%) | mean abs diff (off-diagonal) | '
             'max abs diff |', '|---|---|---|---|']
    for label, r in result['students'].items():
        lines.append(f'| {label} | {r["accuracy"]:.2f} | '
                     f'{r["mean_abs_diff"]:.4f} | {r["max_abs_diff"]:.4f} |')
    return '\n'.join(lines)


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    students = result['students']
    vmax = max(r['max_abs_diff'] for r in students.values()) or 1.0
    fig, axes = plt.subplots(1, len(students), squeeze=False,
                             figsize=(4.2 * len(students) + 0.8, 4))
    for ax, (label, r) in zip(axes.flat, students.items()):
        image = ax.imshow(np.array(r['diff']), cmap='PuBuGn', vmin=0,
                          vmax=vmax)
        ax.set_title(f'{label}: mean {r["mean_abs_diff"]:.3f}')
        ax.set_xlabel('logit of class')
        ax.set_ylabel('true class')
    fig.colorbar(image, ax=list(axes.flat), shrink=0.8,
                 label='|student - teacher| class-mean logit')
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('class_correlation', (ValueError, OSError)):
        result = run(args)
    rep.write_report(
        args.out, 'class_correlation', argv,
        'Teacher-student class-correlation difference', table(result),
        result, '|M_S - M_T| of the class-mean logit matrices (row = true '
        'class), diagonal zeroed, as mdistiller draws it; mean and max over '
        'the off-diagonal entries.', plot)


if __name__ == '__main__':
    main()
