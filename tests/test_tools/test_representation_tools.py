"""tools/analysis/{tsne,class_correlation,loss_landscape}.py on real tiny
configs: the accuracy benchmark's student alone and its KD distiller
(Fashion-MNIST ResNet20 -> ResNet8) on a few foolbox Fashion-MNIST images,
with randomly initialised networks saved as trained runs would be; and the
measures of vrm_mm.analysis.representation / loss_landscape by hand."""
import importlib.util
import json
import os.path as osp

import matplotlib.image
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from accuracy_methods import (
    METHODS,
    STUDENT_CONFIG,
    TEACHER_MODEL,
)
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from tiny_config_helpers import save_teacher, tiny_loader
from torch import nn

from vrm_mm.analysis import loss_landscape as ll
from vrm_mm.analysis import representation as rep
from vrm_mm.registry import MODELS

NUM_IMAGES = 20  # all the foolbox Fashion-MNIST images


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'{name}_tool', osp.join(REPO_ROOT, 'tools', 'analysis',
                                 f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_tiny_test_data(cfg: Config) -> Config:
    loader = tiny_loader(cfg.test_dataloader.to_dict())
    loader['dataset']['indices'] = NUM_IMAGES
    cfg.test_dataloader = cfg.val_dataloader = loader
    return cfg


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """{label: (config, checkpoint)}: the teacher (its classifier config),
    a student alone and a KD distiller run, and the teacher again as a
    'student' (the same network, for the zero-difference check)."""
    root = tmp_path_factory.mktemp('representation')
    init_default_scope('vrm_mm')
    teacher_cfg = with_tiny_test_data(Config.fromfile(TEACHER_MODEL))
    teacher_model = teacher_cfg.model.to_dict()
    teacher_ckpt = save_teacher(teacher_model, str(root / 'teacher.pth'))
    teacher_config = str(root / 'teacher_config.py')
    teacher_cfg.dump(teacher_config)

    files = dict(teacher=(teacher_config, teacher_ckpt))
    student_cfg = Config.fromfile(STUDENT_CONFIG)
    for seed, (label, cfg) in enumerate((
            ('CE', student_cfg),
            ('KD', METHODS['kd'](student_cfg, teacher_ckpt)))):
        cfg = with_tiny_test_data(cfg)
        config = str(root / f'{label}.py')
        cfg.dump(config)
        torch.manual_seed(seed)
        model = MODELS.build(dict(cfg.model))
        checkpoint = str(root / f'{label}.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
        files[label] = (config, checkpoint)
    return files, root


def student_args(files, labels):
    args = []
    for label in labels:
        args += ['--student', label, *files[label]]
    return args


def independent_outputs(config, checkpoint):
    """Logits and labels of the tiny test set, computed without the
    representation module's loader (the student's own Runner loop)."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    model = rep.load_classifier(cfg, checkpoint)
    loader = Runner.build_dataloader(cfg.test_dataloader.to_dict())
    logits, labels = [], []
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            logits.append(model(data['inputs'], mode='tensor'))
            labels += [int(s.gt_label) for s in data['data_samples']]
    return torch.cat(logits).double(), torch.tensor(labels)


def test_tsne_cli(runs):
    files, root = runs
    out = str(root / 'out' / 'tsne')
    load_tool('tsne').main([*student_args(files, ['CE', 'KD']), '--quick',
                            '--out', out])
    with open(out + '.json') as f:
        data = json.load(f)
    assert data['command'].startswith('python tools/analysis/tsne.py')
    from sklearn.metrics import silhouette_score
    for label in ('CE', 'KD'):
        r = data['students'][label]
        assert r['samples'] == NUM_IMAGES  # --quick asks 100; 20 exist
        assert np.array(r['embedding']).shape == (NUM_IMAGES, 2)
        logits, labels = independent_outputs(*files[label])
        assert labels.tolist() == r['labels']
        assert r['accuracy'] == pytest.approx(
            (logits.argmax(1) == labels).double().mean().item() * 100)
        assert r['silhouette_tsne'] == pytest.approx(silhouette_score(
            np.array(r['embedding']), labels.numpy()), abs=1e-3)
        assert -1 <= r['silhouette'] <= 1
    assert matplotlib.image.imread(out + '.png').shape[0] > 100
    with open(out + '.md') as f:
        assert '| KD | 20 |' in f.read()


def test_class_correlation_cli(runs):
    files, root = runs
    out = str(root / 'out' / 'corr')
    load_tool('class_correlation').main([
        '--teacher', *files['teacher'],
        *student_args(files, ['CE', 'KD', 'teacher']), '--out', out])
    with open(out + '.json') as f:
        data = json.load(f)
    students = data['students']
    # the teacher against itself: no difference at all
    assert students['teacher']['mean_abs_diff'] == 0
    assert students['teacher']['accuracy'] == data['teacher']['accuracy']
    # an independent computation of the student's matrix
    logits, labels = independent_outputs(*files['KD'])
    t_logits, _ = independent_outputs(*files['teacher'])
    diffs = []
    for c in labels.unique():
        row = (logits[labels == c].mean(0) - t_logits[labels == c].mean(0))
        diffs += [abs(v) for k, v in enumerate(row.tolist()) if k != c]
    assert students['KD']['mean_abs_diff'] == pytest.approx(
        np.mean(diffs), rel=1e-6)
    assert students['KD']['max_abs_diff'] == pytest.approx(max(diffs))
    assert matplotlib.image.imread(out + '.png').shape[0] > 100


def test_class_mean_logits_by_hand():
    logits = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 5.0, 2.0]])
    labels = np.array([0, 0, 1])
    m = rep.class_mean_logits(logits, labels, 3)
    assert m[0].tolist() == [2.0, 1.0, 0.5]
    assert m[1].tolist() == [0.0, 5.0, 2.0]
    assert np.isnan(m[2]).all()  # no sample of class 2
    diff = rep.correlation_difference(m[:2, :2], np.zeros((2, 2)))
    assert diff.tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_loss_landscape_cli(runs):
    files, root = runs
    out = str(root / 'out' / 'landscape')
    tool = load_tool('loss_landscape')
    tool.main([*student_args(files, ['CE', 'KD']), '--num-samples', '9',
               '--directions', '2', '--points', '5', '--grid', '3',
               '--span', '1', '--out', out])
    with open(out + '.json') as f:
        data = json.load(f)
    for label in ('CE', 'KD'):
        r = data['students'][label]
        assert r['alphas'] == [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0]
        assert len(r['curves']) == 2 and len(r['curves'][0]) == 7
        logits, labels = independent_outputs(*files[label])
        centre = F.cross_entropy(logits[:9], labels[:9]).item()
        for curve in r['curves']:  # the same weights at a = 0
            assert curve[3] == pytest.approx(centre, rel=1e-5)
        assert np.array(r['surface']).shape == (3, 3)
        assert r['surface'][1][1] == pytest.approx(centre, rel=1e-5)
        # the two directions of the surface are the curves' directions
        assert r['surface'][1][2] == pytest.approx(r['curves'][0][-1],
                                                   rel=1e-5)
        assert r['surface'][2][1] == pytest.approx(r['curves'][1][-1],
                                                   rel=1e-5)
        sharp = r['sharpness'][0]
        assert sharp['rise'] == pytest.approx(
            (r['curves'][0][2] + r['curves'][0][4]) / 2 - r['curves'][0][3])
        assert r['rise_mean'] == pytest.approx(np.mean(
            [s['rise'] for s in r['sharpness']]))
    assert matplotlib.image.imread(out + '.png').shape[0] > 100
    with open(out + '.md') as f:
        assert '| KD | 9 |' in f.read()


def test_loss_landscape_quick_and_bad_arguments(runs, capsys):
    files, root = runs
    tool = load_tool('loss_landscape')
    args = tool.parse_args([*student_args(files, ['CE']), '--quick'])
    assert (args.num_samples, args.directions, args.points,
            args.grid) == (64, 2, 9, 3)
    with pytest.raises(SystemExit):
        tool.parse_args([*student_args(files, ['CE']), '--directions', '1'])
    assert '2-D surface needs' in capsys.readouterr().err


def test_tools_fail_clearly(runs, tmp_path, capsys):
    files, _ = runs
    empty = str(tmp_path / 'empty.pth')
    torch.save(dict(state_dict={'unrelated': torch.zeros(1)}), empty)
    for name in ('tsne', 'loss_landscape'):
        with pytest.raises(SystemExit):
            load_tool(name).main(['--student', 'CE', files['CE'][0], empty,
                                  '--out', str(tmp_path / name)])
        err = capsys.readouterr().err
        assert f'{name} failed' in err and 'lacks' in err
    with pytest.raises(SystemExit):
        load_tool('tsne').main([*student_args(files, ['CE']), '--student',
                                'CE', *files['KD']])
    assert 'labels must be distinct' in capsys.readouterr().err


def test_filter_normalised_direction():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3),
                          nn.Flatten(), nn.Linear(3 * 4, 5))
    direction = ll.filter_normalised_direction(
        model, torch.Generator().manual_seed(0))
    for name, weight in model.named_parameters():
        d = direction[name]
        if weight.dim() <= 1:
            assert torch.count_nonzero(d) == 0
        else:
            torch.testing.assert_close(d.flatten(1).norm(dim=1),
                                       weight.flatten(1).norm(dim=1))


def test_losses_at_moves_and_restores_the_weights():
    torch.manual_seed(0)

    class Tiny(nn.Linear):
        def forward(self, x, mode='tensor'):
            return super().forward(x)
    model = Tiny(4, 3)
    batches = [(torch.randn(5, 4), torch.randint(3, (5, )))]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    direction = ll.filter_normalised_direction(
        model, torch.Generator().manual_seed(1))
    values = ll.losses_at(model, [direction], [[0.0], [0.5]], batches)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    x, y = batches[0]
    moved = before['weight'] + 0.5 * direction['weight']
    expected = F.cross_entropy(x @ moved.T + before['bias'], y).item()
    assert values[0] == pytest.approx(
        F.cross_entropy(model(x), y).item(), rel=1e-6)
    assert values[1] == pytest.approx(expected, rel=1e-6)


def test_sharpness_of_a_known_curve():
    alphas = [-0.5, -0.25, -0.125, 0.0, 0.125, 0.25, 0.5]
    losses = [3 * a * a + 0.5 * a + 1 for a in alphas]
    sharp = ll.sharpness(alphas, losses)
    assert sharp['rise'] == pytest.approx(3 * 0.0625)  # odd term cancels
    assert sharp['curvature'] == pytest.approx(6.0)
    with pytest.raises(ValueError, match='no point at alpha=-0.25'):
        ll.sharpness([-0.5, -0.1, 0.0, 0.1, 0.5], [1, 0, 0, 0, 1])
    with pytest.raises(ValueError, match='curvature needs 3'):
        ll.sharpness([-1.0, -0.25, 0.25, 1.0], [1, 0, 0, 1])
