"""``--resume`` belongs to its experiment (issue 23, item 3).

Each checkpoint records the experiment (model type, distillation losses,
student architecture, number of classes); resuming it with a config of
another experiment stops before any weight is loaded with one line naming
both and the ways out, and the same experiment still resumes exactly.
Without the record, a DKD config pointed at a VRM run's work_dir silently
continued it, and another student or class count failed deep inside the
optimizer's ``load_state_dict``.
"""
import hashlib
import os.path as osp

import pytest
import torch
from distill_helpers import save_teacher, tiny_classifier
from reliability_helpers import (
    CONFIG,
    assert_same_weights,
    data_options,
    prepare_data,
    train_in_process,
    weights,
)

SHORT = ('train_dataloader.num_batch_per_epoch=2', 'train_cfg.max_epochs=1')
LONGER = ('train_dataloader.num_batch_per_epoch=2', 'train_cfg.max_epochs=2')
VRM = ('SingleTeacherDistiller (distillation losses: loss_vrm=VRMLoss; '
       'student CIFARResNet(depth=8, stem_channels=4, base_channels=4, '
       'in_channels=1; ')
WAYS_OUT = ('To run this config, give it a new work_dir (--work-dir DIR); to '
            'start it from those weights only, set load_from=')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    data = prepare_data(str(tmp_path_factory.mktemp('identity_data')))
    data['teacher_3'] = osp.join(osp.dirname(data['teacher']),
                                 'teacher_3_classes.pth')
    save_teacher(data['teacher_3'], tiny_classifier(num_classes=3,
                                                    in_channels=1))
    return data


@pytest.fixture(scope='module')
def configs(tmp_path_factory) -> dict:
    """The tiny VRM run (its loss warm-up fits 1 epoch) and a DKD run."""
    folder = tmp_path_factory.mktemp('configs')
    (folder / 'vrm.py').write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_hooks = [dict(type='DistillLossWarmupHook', warmup=1,\n"
        '                     by_epoch=True)]\n')
    (folder / 'dkd.py').write_text(
        "_base_ = ['./vrm.py']\n"
        'model = dict(distill_losses=dict(_delete_=True, loss_dkd=dict(\n'
        "    type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,\n"
        "    inputs=dict(preds_S='student.logits', "
        "preds_T='teacher.logits',\n"
        "                gt_label='gt_label'))))\n")
    return dict(vrm=str(folder / 'vrm.py'), dkd=str(folder / 'dkd.py'))


@pytest.fixture
def vrm_run(data, configs, tmp_path) -> str:
    work_dir = str(tmp_path / 'vrm')
    train_in_process(configs['vrm'], work_dir, *data_options(data), *SHORT)
    return work_dir


def files(work_dir: str) -> dict:
    """The checkpoints and ``last_checkpoint`` -> their SHA-256."""
    names = ('epoch_1.pth', 'epoch_2.pth', 'last_checkpoint')
    return {
        name: hashlib.sha256(open(osp.join(work_dir, name), 'rb').read())
        .hexdigest()
        for name in names if osp.exists(osp.join(work_dir, name))
    }


def refused(config, work_dir, capsys, *options) -> str:
    """Resume ``work_dir`` with ``config``: the one line it stops with."""
    before = files(work_dir)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        train_in_process(config, work_dir, *options, resume=True)
    assert stop.value.code == 1
    assert files(work_dir) == before
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    (line, ) = [line for line in err.splitlines()
                if line.startswith('vrm_mm: training failed')]
    assert line.startswith(
        'vrm_mm: training failed: ExperimentMismatchError: --resume: '
        f'{osp.join(work_dir, "epoch_1.pth")} belongs to another '
        'experiment (')
    assert f'it was saved by {VRM}' in line
    assert line.endswith(
        f'{WAYS_OUT}{osp.join(work_dir, "epoch_1.pth")} without --resume.')
    return line


@pytest.mark.slow
def test_checkpoints_record_the_experiment(vrm_run):
    meta = torch.load(osp.join(vrm_run, 'epoch_1.pth'), map_location='cpu',
                      weights_only=True)['meta']
    record = meta['experiment']
    assert record['model'] == 'SingleTeacherDistiller'
    assert record['distill_losses'] == {'loss_vrm': 'VRMLoss'}
    assert record['num_classes'] == 2
    assert record['student'].startswith(
        'CIFARResNet(depth=8, stem_channels=4, base_channels=4, '
        'in_channels=1; ')
    assert len(record['student_shapes']) == 12


@pytest.mark.slow
def test_another_method_is_refused(vrm_run, data, configs, capsys):
    line = refused(configs['dkd'], vrm_run, capsys,
                   *data_options(data), *LONGER)
    assert '(different: distillation losses)' in line
    assert ('this config trains SingleTeacherDistiller (distillation '
            'losses: loss_dkd=DKDLoss; ') in line


@pytest.mark.slow
def test_another_student_architecture_is_refused(vrm_run, data, configs,
                                                 capsys):
    line = refused(configs['vrm'], vrm_run, capsys,
                   *data_options(data), *LONGER,
                   'model.student.backbone.depth=14')
    assert '(different: student architecture)' in line
    assert 'this config trains SingleTeacherDistiller (distillation ' \
        'losses: loss_vrm=VRMLoss; student CIFARResNet(depth=14, ' in line


@pytest.mark.slow
def test_another_class_count_is_refused(vrm_run, data, configs, capsys):
    line = refused(configs['vrm'], vrm_run, capsys,
                   *data_options(data), *LONGER,
                   'model.student.head.num_classes=3',
                   'model.teacher.head.num_classes=3',
                   'model.data_preprocessor.num_classes=3',
                   f'model.teacher_ckpt={data["teacher_3"]}')
    assert '(different: student architecture, number of classes)' in line
    assert line.split('this config trains ')[1].startswith(
        'SingleTeacherDistiller (distillation losses: loss_vrm=VRMLoss; '
        'student CIFARResNet(depth=8, stem_channels=4, base_channels=4, '
        'in_channels=1; ')
    assert '; 3 classes). To run' in line


@pytest.mark.slow
def test_load_from_takes_the_weights_for_another_method(vrm_run, data,
                                                        configs, tmp_path):
    work_dir = str(tmp_path / 'dkd')
    train_in_process(configs['dkd'], work_dir, *data_options(data), *SHORT,
                     f'load_from={osp.join(vrm_run, "epoch_1.pth")}')
    record = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu',
                        weights_only=True)['meta']['experiment']
    assert record['distill_losses'] == {'loss_dkd': 'DKDLoss'}


@pytest.mark.slow
def test_the_same_experiment_resumes_exactly(vrm_run, data, configs,
                                            tmp_path):
    straight = str(tmp_path / 'straight')
    train_in_process(configs['vrm'], straight, *data_options(data), *LONGER)
    train_in_process(configs['vrm'], vrm_run, *data_options(data), *LONGER,
                     resume=True)
    assert_same_weights(weights(osp.join(straight, 'epoch_2.pth')),
                        weights(osp.join(vrm_run, 'epoch_2.pth')))
