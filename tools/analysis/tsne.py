"""t-SNE of the students' pre-logits on the test set, side by side.

    python tools/analysis/tsne.py --student LABEL CONFIG CHECKPOINT
        [--student ...] [--num-samples 2000] [--split test] [--seed 0]
        [--cfg-options KEY=VALUE ...] [--quick]
        [--out work_dirs/analysis/tsne]

Each ``--student`` is any trained network of the project: a classifier
config (the student alone) or a distiller config (its student is taken),
with a checkpoint of that run. On the first ``--num-samples`` images of the
split (the config's own test pipeline) the head's input (pre-logits) is
embedded in 2-D by t-SNE, coloured by true class.

Cluster quality, one number per student: the silhouette coefficient of the
true classes (Euclidean) **on the pre-logits themselves** (``silhouette``,
the headline: t-SNE distorts distances, so its picture is not measured),
and, for reference, on the 2-D embedding (``silhouette_tsne``). Writes
OUT.json (figures and the embedding), OUT.png, OUT.md, prints the table.
"""
import argparse

import numpy as np

from vrm_mm.analysis import representation as rep
from vrm_mm.runtime.cli import clear_errors

NUM_SAMPLES = 2000  # the test set's first 2000: t-SNE is O(N log N)
QUICK = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    rep.add_model_args(parser, 'tsne')
    parser.add_argument('--num-samples', type=int, default=NUM_SAMPLES)
    parser.add_argument('--seed', type=int, default=0,
                        help="t-SNE's random state")
    parser.add_argument('--quick', action='store_true',
                        help=f'{QUICK} samples')
    args = parser.parse_args(argv)
    if args.quick:
        args.num_samples = QUICK
    return args


def run(args) -> dict:
    rep.check_labels(args.student)
    result = {}
    for label, config, checkpoint in args.student:
        out = rep.outputs(*rep.load_batches(config, checkpoint, args))
        embedding = rep.tsne_embedding(out['pre_logits'], args.seed)
        result[label] = dict(
            config=config, checkpoint=checkpoint,
            samples=len(out['labels']),
            accuracy=rep.accuracy(out['logits'], out['labels']),
            silhouette=rep.silhouette(out['pre_logits'], out['labels']),
            silhouette_tsne=rep.silhouette(embedding, out['labels']),
            labels=out['labels'].tolist(),
            embedding=np.round(embedding, 3).tolist())
    return result


def table(result: dict) -> str:
    lines = ['| student | samples | top-1 (%) | silhouette, pre-logits | '
             'silhouette, t-SNE 2-D |', '|---|---|---|---|---|']
    for label, r in result.items():
        lines.append(f'| {label} | {r["samples"]} | {r["accuracy"]:.2f} | '
                     f'{r["silhouette"]:.3f} | {r["silhouette_tsne"]:.3f} |')
    return '\n'.join(lines)


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(result), squeeze=False,
                             figsize=(4.2 * len(result), 4.4))
    for ax, (label, r) in zip(axes.flat, result.items()):
        points = np.array(r['embedding'])
        scatter = ax.scatter(points[:, 0], points[:, 1], c=r['labels'],
                             cmap='tab10', s=4)
        ax.set_title(f'{label}: silhouette {r["silhouette"]:.3f}')
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(*scatter.legend_elements(), loc='lower center',
               ncol=10, title='class', fontsize=7)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('tsne', (ValueError, OSError, ImportError)):
        result = run(args)
    rep.write_report(
        args.out, 'tsne', argv, 't-SNE of the pre-logits', table(result),
        dict(split=args.split, seed=args.seed, students=result),
        'Silhouette of the true classes (Euclidean), on the pre-logits '
        'and on the 2-D t-SNE embedding; 1 = tight, separate classes.',
        lambda r, path: plot(r['students'], path))


if __name__ == '__main__':
    main()
