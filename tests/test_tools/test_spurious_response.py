"""tools/analysis/spurious_response.py on a real tiny config, and its measure.

The config is the accuracy benchmark's VRM run (Fashion-MNIST ResNet20 ->
ResNet8) on a few foolbox Fashion-MNIST images; teacher and student are
randomly initialised and saved, as a trained pair would be.
"""
import importlib.util
import json
import os.path as osp

import matplotlib.image
import pytest
import torch
from accuracy_methods import (
    METHODS,
    STUDENT_CONFIG,
    TEACHER_MODEL,
)
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from tiny_config_helpers import save_teacher, tiny_loader

from vrm_mm.analysis import spurious_response as sr
from vrm_mm.registry import MODELS

_SPEC = importlib.util.spec_from_file_location(
    'spurious_response_tool',
    osp.join(REPO_ROOT, 'tools', 'analysis', 'spurious_response.py'))
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)

ROWS = ['kd', 'dkd', 'crd', 'rkd', 'vrm', 'vrm_uep_none',
        'vrm_no_redundant_pruning', 'vrm_upper_uep_none']


@pytest.fixture(scope='module')
def run_files(tmp_path_factory):
    """A VRM distiller config with tiny data, and a student checkpoint."""
    root = tmp_path_factory.mktemp('spurious')
    teacher = Config.fromfile(TEACHER_MODEL).model.to_dict()
    teacher.pop('data_preprocessor', None)
    teacher_ckpt = save_teacher(teacher, str(root / 'teacher.pth'))
    cfg = METHODS['vrm'](Config.fromfile(STUDENT_CONFIG), teacher_ckpt)
    loader = tiny_loader(cfg.train_dataloader.to_dict())
    loader['dataset']['indices'] = 16  # two batches of 8
    cfg.train_dataloader = cfg.test_dataloader = loader
    config = str(root / 'config.py')
    cfg.dump(config)
    init_default_scope('vrm_mm')
    torch.manual_seed(1)
    student = MODELS.build(dict(cfg.model))
    checkpoint = str(root / 'student.pth')
    torch.save(dict(state_dict=student.state_dict()), checkpoint)
    return config, checkpoint, root


@pytest.fixture(scope='module')
def result(run_files):
    config, checkpoint, root = run_files
    out = str(root / 'out' / 'spurious')
    tool.main([config, checkpoint, '--methods', *ROWS, '--batches', '2',
               '--batch-size', '8', '--out', out])
    with open(out + '.json') as f:
        return json.load(f), out


def test_files_and_rows(result):
    data, out = result
    assert list(data['summary']) == ROWS
    assert data['batches'] == 2 and data['batch_size'] == 8
    assert data['inputs']['rkd'] == ['student.pre_logits']
    assert data['inputs']['vrm'] == ['student.logits',
                                     'student.logits_virtual']
    assert matplotlib.image.imread(out + '.png').shape[0] > 100
    with open(out + '.md') as f:
        text = f.read()
    assert 'python tools/analysis/spurious_response.py' in text
    assert '| vrm_uep_none |' in text


def test_instance_wise_losses_send_exactly_nothing(result):
    summary = result[0]['summary']
    for row in ('kd', 'dkd'):
        for kind in sr.PERTURBATIONS:
            stats = summary[row][kind]
            assert stats['ratio_mean'] == 0 and stats['ratio_std'] == 0
            assert stats['spread_mean'] == 0
            assert stats['ratio_undefined'] == 0  # own gradient did change


def test_crd_contrasts_with_its_banks_not_with_the_batch(result):
    """CRD with its Z fixed (as after its first training batch) and its
    memory banks read only: one sample's change reaches no other sample."""
    stats = result[0]['summary']['crd']['noise']
    assert stats['ratio_mean'] == 0 and stats['spread_mean'] == 0
    assert stats['ratio_undefined'] == 0  # its own gradient did change
    assert 'wrong' not in result[0]['summary']['crd']  # reads features


def test_relation_losses_spread_and_pruning_changes_the_spread(result):
    data = result[0]
    summary = data['summary']
    assert summary['rkd']['noise']['ratio_mean'] > 0
    assert 'wrong' not in summary['rkd']  # reads features, not predictions
    for row in ROWS[4:]:
        for kind in sr.PERTURBATIONS:
            assert summary[row][kind]['ratio_mean'] > 0
            assert summary[row][kind]['spread_mean'] > 0
    # the same batches, samples and noise: only the pruning differs
    for pruned, unpruned in (('vrm', 'vrm_uep_none'),
                             ('vrm_no_redundant_pruning',
                              'vrm_upper_uep_none')):
        assert data['per_batch'][pruned]['wrong'] != data['per_batch'][
            unpruned]['wrong']


def test_pruning_share_is_reported_for_pruning_losses_only(result):
    data, out = result
    summary = data['summary']
    for row in ('vrm', 'vrm_no_redundant_pruning'):
        shares = summary[row]['pruned']
        assert set(shares) == {'clean', 'wrong', 'noise'}
        assert all(0 <= s['mean'] <= 1 for s in shares.values())
        assert len(data['per_batch'][row]['pruned']) == 2  # one per batch
    for row in ('kd', 'rkd', 'vrm_uep_none', 'vrm_upper_uep_none'):
        assert 'pruned' not in summary[row]
    with open(out + '.md') as f:
        assert "sample's edges pruned" in f.read()


@pytest.mark.parametrize('is_edges,expected', [
    # B = 4: cross has 16 edges, ceil(0.1 * 16) = 2 pruned; sample 2 touches
    # row and column 2 (7 edges) and the 6 of them that join it to the
    # others are the only unreliable ones
    ('cross', 2 / 7),
    # upper: 28 edges of the 8 nodes, 3 pruned; nodes 2 and 6 (its real
    # and virtual view) touch 13, the 12 joining them to the others are
    # the unreliable ones
    ('upper', 3 / 13)])
def test_pruning_share_by_hand(is_edges, expected):
    """Every sample predicts class 1 confidently but sample 2 (both
    views), which predicts class 0: the pruned edges are all its own."""
    init_default_scope('vrm_mm')
    loss = MODELS.build(dict(type='VRMLoss', is_edges=is_edges,
                             uep='cross_entropy', uep_ratio=0.1))
    logits = torch.tensor([[0.0, 8.0, 0.0]]).repeat(4, 1)
    logits[2] = torch.tensor([8.0, 0.0, 0.0])
    assert sr.uep_pruned_share(loss, logits, logits, 2) == pytest.approx(
        expected)
    # another sample: of its edges only those to sample 2 can be pruned
    assert sr.uep_pruned_share(loss, logits, logits, 0) < expected
    unpruned = MODELS.build(dict(type='VRMLoss', is_edges=is_edges,
                                 uep='none'))
    assert sr.uep_pruned_share(unpruned, logits, logits, 2) is None


def test_ratio_definition_by_hand():
    """Instance-wise sum of squares: 0; square of the sum: every other
    sample's gradient changes as much as the sample's own (ratio B - 1)."""
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    spurious = x.clone()
    spurious[1] += torch.tensor([2.0, -1.0])
    assert sr.spread(2 * x, 2 * spurious, 1) == (0.0, 0.0)
    grad = lambda v: 2 * v.sum(0).expand_as(v)  # noqa: E731
    ratio, share = sr.spread(grad(x), grad(spurious), 1)
    assert ratio == pytest.approx(2.0)
    # change 2 * ||(2, -1)|| at each of the 2 others, clean 2 * ||(4.5, 1)||
    assert share == pytest.approx(2 * 5**0.5 / (3 * (4.5**2 + 1)**0.5))


def test_wrong_logits_make_one_sample_confidently_wrong():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 4.0, 1.0]])
    values = {'student.logits': logits, 'student.logits_virtual': logits + 1,
              'teacher.logits': logits}
    out = sr.wrong_logits(values, 0, torch.tensor([0, 1]), margin=5.0)
    assert out['student.logits'][0].tolist() == [3.0, 1.0, 8.0]
    assert out['student.logits_virtual'][0].tolist() == [4.0, 2.0, 9.0]
    assert torch.equal(out['student.logits'][1], logits[1])
    assert out['teacher.logits'] is logits


def test_clear_errors(run_files, tmp_path, capsys):
    config, _, root = run_files
    empty = str(tmp_path / 'empty.pth')
    torch.save(dict(state_dict={}), empty)
    with pytest.raises(SystemExit):
        tool.main([config, empty, '--methods', 'kd', '--out',
                   str(tmp_path / 'x')])
    assert 'lacks' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([config, empty, '--methods', 'kdd'])
    assert "unknown method(s) ['kdd']" in capsys.readouterr().err
