"""tools/analysis/plot_curves.py on two real runs, and TensorBoard logging.

Two 2-epoch runs of tools/train.py on a tiny image folder: KD + RKD (with
the README's one-line TensorBoard option) and the classifier alone. The
plotted JSON must hold each epoch's mean of the logged loss terms and the
validation top-1 (recomputed here from scalars.json), TensorBoard's event
file the same scalars.
"""
import glob
import importlib.util
import json
import os.path as osp
from collections import defaultdict

import matplotlib.image
import matplotlib.pyplot as plt
import pytest
from conftest import REPO_ROOT
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)
from test_export_student import BASE_CONFIG, run, write_tiny_kd

from vrm_mm.analysis.curves import whole_epoch_axis

_SPEC = importlib.util.spec_from_file_location(
    'plot_curves', osp.join(REPO_ROOT, 'tools', 'analysis', 'plot_curves.py'))
plot_curves = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(plot_curves)

# the option configs/README.md documents
TENSORBOARD = ("visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),"
               " dict(type='TensorboardVisBackend')])\n")


def _train(config: str, work_dir: str, root: str) -> None:
    result = run(['tools/train.py', config, '--work-dir', work_dir,
                  '--cfg-options', 'train_cfg.max_epochs=2'] + [
                      f'{split}_dataloader.dataset.data_root={root}'
                      for split in ('train', 'val', 'test')])
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp('curves')
    kd, root = write_tiny_kd(base, TENSORBOARD)
    dirs = dict(kd=str(base / 'kd'), ce=str(base / 'ce'))
    _train(kd, dirs['kd'], root)
    _train(BASE_CONFIG, dirs['ce'], root)
    return dict(base=base, **dirs)


def _scalars(work_dir: str) -> list:
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def _epoch_means(records: list) -> dict:
    values = defaultdict(lambda: defaultdict(list))
    for record in records:
        if 'epoch' in record:
            for key in ('loss', 'loss_cls', 'loss_kd', 'loss_rkd'):
                if key in record:
                    values[key][record['epoch']].append(record[key])
        elif 'accuracy/top1' in record:
            values['accuracy/top1'][record['step']].append(
                record['accuracy/top1'])
    return {key: [[epoch, sum(v) / len(v)] for epoch, v in sorted(
        epochs.items())] for key, epochs in values.items()}


@pytest.mark.slow
def test_plots_accuracy_and_every_loss_term(runs, capsys):
    out = str(runs['base'] / 'plots' / 'curves.png')
    plot_curves.main([runs['kd'], runs['ce'], '--labels', 'KD', 'CE',
                      '--out', out])
    printed = capsys.readouterr().out
    assert 'KD ' in printed and 'CE ' in printed and 'last top-1' in printed

    with open(out[:-len('.png')] + '.json') as f:
        plotted = json.load(f)
    teacher, = [r['teacher/accuracy/top1'] for r in _scalars(runs['kd'])
                if 'teacher/accuracy/top1' in r]
    # TeacherEvalHook evaluates the teacher once, before epoch 1
    assert plotted['KD'].pop('teacher/accuracy/top1') == [[0, teacher]]
    assert plotted['KD'] == _epoch_means(_scalars(runs['kd']))
    assert plotted['CE'] == _epoch_means(_scalars(runs['ce']))
    assert [epoch for epoch, _ in plotted['KD']['loss_kd']] == [1, 2]
    assert 'loss_kd' not in plotted['CE']
    assert plot_curves.panels(plotted) == [
        'accuracy/top1', 'loss', 'loss_cls', 'loss_kd', 'loss_rkd']
    height, width, _ = matplotlib.image.imread(out).shape
    assert height > 300 and width > 900  # 2 rows x 3 panels


@pytest.mark.slow
def test_tensorboard_option_logs_the_same_scalars(runs):
    with open(osp.join(REPO_ROOT, 'configs', 'README.md')) as f:
        assert TENSORBOARD.strip() in f.read()
    events = glob.glob(osp.join(runs['kd'], '*', 'vis_data',
                                'events.out.tfevents.*'))
    assert len(events) == 1
    accumulator = EventAccumulator(events[0])
    accumulator.Reload()
    logged = {
        tag: {event.step: event.value for event in accumulator.Scalars(tag)}
        for tag in accumulator.Tags()['scalars']
    }
    records = _scalars(runs['kd'])
    for key in ('loss_kd', 'loss_rkd', 'accuracy/top1'):
        expected = {r['step']: r[key] for r in records if key in r}
        assert set(logged[key]) == set(expected), key
        for step, value in expected.items():
            assert logged[key][step] == pytest.approx(value, rel=1e-6)
    assert not glob.glob(osp.join(runs['ce'], '*', 'vis_data',
                                  'events.out.tfevents.*'))


def test_a_directory_without_logs_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        plot_curves.main([str(tmp_path), '--out', str(tmp_path / 'c.png')])
    assert exited.value.code == 1
    assert 'no */vis_data/scalars.json' in capsys.readouterr().err


def test_epoch_axis_has_whole_epochs_only():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [0.5, 0.7, 0.8])
    whole_epoch_axis(ax)
    fig.canvas.draw()
    ticks = [tick for tick in ax.get_xticks()
             if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    plt.close(fig)
