"""1-D and 2-D loss landscape around trained students, side by side.

    python tools/analysis/loss_landscape.py --student LABEL CONFIG CHECKPOINT
        [--student ...] [--num-samples 1000] [--split test]
        [--directions 5] [--span 0.5] [--points 21] [--grid 11]
        [--seed 0] [--cfg-options KEY=VALUE ...] [--quick]
        [--out work_dirs/analysis/loss_landscape]

Li et al. (NeurIPS 2018): the cross-entropy of each student on the first
``--num-samples`` images of the split (its own test pipeline) at
``theta + a d`` along ``--directions`` filter-normalised random directions
(1-D, ``a`` on ``--points`` values in ``[-span, span]``) and at
``theta + a d1 + b d2`` on a ``--grid`` x ``--grid`` square (2-D). The
directions are drawn from the same seeds for every student, so students of
one architecture are probed along matching directions. Sharpness per
student (:mod:`vrm_mm.analysis.loss_landscape`): the mean rise of the loss at
``a = +-0.25`` and the curvature at 0, averaged over the directions, with
their spread; lower = flatter. Writes OUT.json, OUT.png, OUT.md and prints
the table.
"""
import argparse

import numpy as np
import torch

from vrm_mm.analysis import loss_landscape as ll
from vrm_mm.analysis import representation as rep
from vrm_mm.runtime.cli import clear_errors

NUM_SAMPLES = 1000
QUICK = dict(num_samples=64, directions=2, points=9, grid=3)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    rep.add_model_args(parser, 'loss_landscape')
    parser.add_argument('--num-samples', type=int, default=NUM_SAMPLES)
    parser.add_argument('--directions', type=int, default=5,
                        help='random directions of the 1-D curves (the '
                        'first two span the 2-D surface)')
    parser.add_argument('--span', type=float, default=0.5,
                        help='largest step, in units of each filter\'s norm')
    parser.add_argument('--points', type=int, default=21,
                        help='points of each 1-D curve, 0 and +-0.25 added')
    parser.add_argument('--grid', type=int, default=11,
                        help='points per side of the 2-D surface (0: none)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the first direction (+1 for the next)')
    parser.add_argument('--quick', action='store_true',
                        help=', '.join(f'{k} {v}' for k, v in QUICK.items()))
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key.replace('-', '_'), value)
    if args.directions < 1 or args.points < 3 or args.span <= 0:
        parser.error('need --directions >= 1, --points >= 3, --span > 0')
    if args.grid and (args.grid < 2 or args.directions < 2):
        parser.error('the 2-D surface needs --grid >= 2 and --directions '
                     '>= 2 (or --grid 0 for none)')
    return args


def curve_alphas(span: float, points: int) -> list:
    """``points`` steps over ``[-span, span]`` with 0 and ``+-RISE_STEP``."""
    alphas = np.linspace(-span, span, points).tolist()
    alphas += [0.0, ll.RISE_STEP, -ll.RISE_STEP]
    return sorted({round(a, 6) for a in alphas})


def landscape(model, batches, args) -> dict:
    """The 1-D curves, their sharpness and the 2-D surface of one model."""
    directions = [ll.filter_normalised_direction(
        model, torch.Generator().manual_seed(args.seed + k))
        for k in range(args.directions)]
    alphas = curve_alphas(args.span, args.points)
    curves = [ll.losses_at(model, [d], [[a] for a in alphas], batches)
              for d in directions]
    sharp = [ll.sharpness(alphas, curve) for curve in curves]
    result = dict(alphas=alphas, curves=curves, sharpness=sharp, **{
        f'{key}_{stat}': float(fn([s[key] for s in sharp]))
        for key in ('rise', 'curvature')
        for stat, fn in (('mean', np.mean), ('std', np.std))})
    if args.grid:
        axis = np.linspace(-args.span, args.span, args.grid).tolist()
        values = ll.losses_at(model, directions[:2],
                              [(a, b) for b in axis for a in axis], batches)
        result.update(grid_axis=axis, surface=np.reshape(
            values, (args.grid, args.grid)).tolist())  # [b][a]
    return result


def run(args) -> dict:
    rep.check_labels(args.student)
    result = {}
    for label, config, checkpoint in args.student:
        model, batches = rep.load_batches(config, checkpoint, args)
        with torch.no_grad():
            logits = torch.cat([model(x, mode='tensor') for x, _ in batches])
        labels = torch.cat([y for _, y in batches])
        top1 = rep.accuracy(logits.double().numpy(), labels.numpy())
        result[label] = dict(config=config, checkpoint=checkpoint,
                             samples=len(labels), accuracy=top1,
                             **landscape(model, batches, args))
    return result


def table(result: dict) -> str:
    lines = ['| student | samples | top-1 (%) | loss at theta | '
             f'rise at +-{ll.RISE_STEP} | curvature at theta |',
             '|---|---|---|---|---|---|']
    for label, r in result.items():
        centre = r['curves'][0][r['alphas'].index(0.0)]
        lines.append(
            f'| {label} | {r["samples"]} | {r["accuracy"]:.2f} | '
            f'{centre:.4f} | {r["rise_mean"]:.4f} +- {r["rise_std"]:.4f} | '
            f'{r["curvature_mean"]:.3f} +- {r["curvature_std"]:.3f} |')
    return '\n'.join(lines)


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    surfaces = [r for r in result.values() if 'surface' in r]
    panels = 1 + len(surfaces)
    columns = min(panels, 4)
    rows = -(-panels // columns)
    fig, axes = plt.subplots(rows, columns, squeeze=False,
                             figsize=(4.6 * columns, 4 * rows))
    for ax in axes.flat[panels:]:
        ax.axis('off')
    curve_ax = axes[0, 0]
    for k, (label, r) in enumerate(result.items()):
        colour = f'C{k}'
        for i, curve in enumerate(r['curves']):
            curve_ax.plot(r['alphas'], curve, color=colour,
                          alpha=1.0 if i == 0 else 0.35,
                          label=f'{label} (rise {r["rise_mean"]:.3f})'
                          if i == 0 else None)
    curve_ax.set_xlabel('step along a filter-normalised direction')
    curve_ax.set_ylabel('cross-entropy (log scale)')
    curve_ax.set_yscale('log')
    curve_ax.set_title('1-D (faint: further directions)')
    curve_ax.legend(fontsize=8)
    levels = None
    if surfaces:
        every = np.concatenate([np.ravel(r['surface']) for r in surfaces])
        levels = np.linspace(every.min(), np.percentile(every, 95), 15)
    for ax, (label, r) in zip(axes.flat[1:], ((label, r) for label, r in
                                              result.items()
                                              if 'surface' in r)):
        axis = r['grid_axis']
        contour = ax.contour(axis, axis, r['surface'], levels=levels,
                             cmap='viridis')
        ax.clabel(contour, fontsize=6)
        ax.plot(0, 0, 'r+')
        ax.set_title(f'{label}: 2-D')
        ax.set_xlabel('direction 1')
        ax.set_ylabel('direction 2')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('loss_landscape', (ValueError, OSError)):
        result = run(args)
    rep.write_report(
        args.out, 'loss_landscape', argv,
        'Loss landscape around the final weights', table(result),
        dict(split=args.split, seed=args.seed, students=result),
        f'Cross-entropy on the split along filter-normalised random '
        f'directions (Li et al. 2018; BatchNorm and biases fixed). Rise = '
        f'mean of L(-{ll.RISE_STEP}) and L(+{ll.RISE_STEP}) minus L(0); '
        'curvature = second derivative of the quadratic fit at 0; mean +- '
        f'std over {args.directions} directions; lower = flatter.',
        lambda r, path: plot(r['students'], path))


if __name__ == '__main__':
    main()
