"""Per-epoch curves of a training run, from mmengine's ``scalars.json``.

mmengine's ``LocalVisBackend`` (every config's default) writes
``<work_dir>/<timestamp>/vis_data/scalars.json``: one JSON object a line,
training lines (with ``epoch``, ``iter``, ``lr`` and every loss term, each
the mean over the logger's interval) and validation lines (the metrics,
``step`` = the epoch). A resumed run adds one timestamp folder per start.
"""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Tuple

Curve = List[Tuple[int, float]]
_NOT_METRICS = ('step', 'time', 'data_time')


def _read_file(path: str) -> Dict[str, Dict[int, float]]:
    losses: Dict[str, Dict[int, list]] = defaultdict(lambda: defaultdict(
        list))
    curves: Dict[str, Dict[int, float]] = defaultdict(dict)
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if 'epoch' in record:  # a training line
                for key, value in record.items():
                    if key.startswith('loss'):
                        losses[key][int(record['epoch'])].append(value)
            else:  # a validation line
                for key, value in record.items():
                    if key not in _NOT_METRICS:
                        curves[key][int(record['step'])] = value
    for key, epochs in losses.items():
        curves[key] = {
            epoch: sum(values) / len(values)
            for epoch, values in epochs.items()
        }
    return curves


def read_curves(work_dir: str) -> Dict[str, Curve]:
    """Every validation metric and loss term of a run, against epoch.

    Args:
        work_dir: The run's work directory (``tools/train.py --work-dir``).

    Returns:
        ``{name: [(epoch, value), ...]}``: each validation metric
        (``accuracy/top1``, ``teacher/accuracy/top1``, ...) as evaluated
        after the epoch, and each logged ``loss*`` term averaged over the
        epoch's logged iterations. A later start of a resumed run replaces
        the epochs it repeats.

    Raises:
        FileNotFoundError: ``work_dir`` holds no ``*/vis_data/scalars.json``.
    """
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'{work_dir} has no */vis_data/scalars.json: give the work '
            'directory of a tools/train.py run (its config must keep '
            "mmengine's LocalVisBackend, as configs/_base_/"
            'default_runtime.py does).')
    merged: Dict[str, Dict[int, float]] = defaultdict(dict)
    for path in files:
        for key, points in _read_file(path).items():
            merged[key].update(points)
    return {key: sorted(points.items()) for key, points in merged.items()}


def whole_epoch_axis(ax) -> None:
    """Label a matplotlib x axis with whole epochs only."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('epoch')
