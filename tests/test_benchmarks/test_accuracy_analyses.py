"""The analyses read the benchmark's runs; the variants change one setting.
"""
import json

import accuracy_analyses
import pytest
import run_store
from accuracy_methods import METHODS, STUDENT_CONFIG
from accuracy_variants import VARIANTS
from mmengine.config import Config


def run(last: float, train=None, val=None) -> dict:
    record = dict(last_test=last, best_test=last, val_curve=val or [1, 2])
    if train is not None:
        record['train_curve'] = train
    return record


RUNS = {
    'kd_seed0': run(80.0), 'kd_seed1': run(82.0),
    'kd@bs16_seed0': run(70.0), 'kd@bs128_seed5': run(60.0),
    'vrm_seed0': run(85.0, train=[60.0, 90.0], val=[55.0, 80.0]),
    'vrm_seed1': run(86.0, train=[62.0, 94.0], val=[57.0, 82.0]),
    'vrm@ra_off_seed0': run(83.0), 'vrm_magnitude_5_seed0': run(84.5),
    'ce_seed0': run(79.0, train=[50.0, 99.0], val=[50.0, 79.0]),
    'crd_seed0': run(81.0, train=[40.0, 70.0], val=[45.0, 75.0]),
}


def test_points_are_means_over_seeds_and_missing_points_say_so(tmp_path):
    runs = tmp_path / 'accuracy_x_runs.json'
    runs.write_text(json.dumps(RUNS))
    out = tmp_path / 'analysis'
    accuracy_analyses.main(['--runs', str(runs), '--out', str(out)])
    sizes = json.loads((out / 'batch_size.json').read_text())
    assert sizes['kd']['64']['mean'] == 81.0
    assert sizes['kd']['64']['std'] == pytest.approx(2 ** 0.5)
    assert sizes['kd']['16']['mean'] == 70.0
    assert sizes['kd']['32']['mean'] is None
    table = (out / 'batch_size.md').read_text()
    assert ('| kd | 70.00 (n=1) | not run | 81.00 ± 1.41 (n=2) | '
            '60.00 (n=1) |') in table
    # paired with batch 64 on the seeds both have: seed 0 only
    assert sizes['kd']['16']['paired'] == dict(seeds=[0], mean=-10.0,
                                               std=None)
    assert '| kd | -10.00 (n=1) | not run | reference | no common seed |' \
        in table
    strength = json.loads((out / 'view_strength.json').read_text())
    assert [strength['magnitude'][k]['mean'] for k in ('0', '5', '10')] == [
        83.0, 84.5, 85.5]
    curves = json.loads((out / 'overfitting.json').read_text())
    assert curves['vrm']['train'] == [61.0, 92.0]
    assert curves['vrm']['gap'] == pytest.approx(92.0 - 81.0)
    assert curves['ce']['gap'] == pytest.approx(20.0)
    assert curves['vrm']['gap_curve'] == [5.0, 11.0]
    assert curves['kd'] == dict(seeds=0)  # no run with a train curve
    # methods beyond the pilot study's join when they have train curves
    assert list(curves) == ['ce', 'kd', 'dist', 'rkd', 'vrm', 'crd']
    assert curves['crd']['gap_curve'] == [-5.0, -5.0]
    report = (out / 'overfitting.md').read_text()
    assert 'benchmarks/results/accuracy_x.md' in report
    for name in ('batch_size', 'view_strength', 'overfitting'):
        assert (out / f'{name}.png').stat().st_size > 1000


def test_runs_are_read_from_a_sets_run_files(tmp_path):
    """A set's folder of run files; its former ``*_runs.json`` name (cited
    in the docs) reads that folder; a missing one says what to give."""
    folder = tmp_path / 'runs' / 'accuracy_x'
    for name, record in RUNS.items():
        run_store.write_run(str(folder), name, record, 'f' * 16)
    assert accuracy_analyses.runs_source(str(folder)) == (str(folder),
                                                          'accuracy_x')
    legacy = str(tmp_path / 'accuracy_x_runs.json')
    assert accuracy_analyses.runs_source(legacy) == (str(folder),
                                                     'accuracy_x')
    assert accuracy_analyses.read_runs(str(folder)) == RUNS
    with pytest.raises(SystemExit, match='no runs at'):
        accuracy_analyses.runs_source(str(tmp_path / 'absent_runs.json'))


def _config(method: str) -> Config:
    return METHODS[method](Config.fromfile(STUDENT_CONFIG), 'teacher.pth')


def test_batch_size_variant_scales_the_lr_linearly():
    cfg = VARIANTS['bs32'](_config('kd'))
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(0.025)


def test_view_variants_change_the_virtual_view_only_of_two_view_methods():
    cfg = VARIANTS['ra_off'](_config('vrm'))
    (views, ) = [t for t in cfg.train_dataloader.dataset.pipeline
                 if t['type'] == 'RealVirtualViews']
    assert views['num_ops'] == 0
    assert VARIANTS['cutout'](_config('vrm')).train_dataloader.dataset \
        .pipeline[0]['cutout_shape'] == 7
    with pytest.raises(SystemExit, match='has no virtual view'):
        VARIANTS['mag2'](_config('kd'))
    # a wrapped train set (CRD's ContrastSampleDataset) is looked into
    with pytest.raises(SystemExit, match='has no virtual view'):
        VARIANTS['mag2'](_config('crd'))
