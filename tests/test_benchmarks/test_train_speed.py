"""train_speed.py's floors and cost rows: the hand-written loop computes
the project's loss on the same modules; methods are found by glob."""

import pytest
import torch
import train_speed_methods
from mmengine.registry import init_default_scope
from train_speed import ratio_pairs
from train_speed_floor import FloorStep
from train_speed_steps import Step, teacher_checkpoint

CPU = torch.device('cpu')


@pytest.mark.parametrize('method', ['student', 'kd', 'kd_2views'])
def test_floor_loss_equals_the_project_step_loss(method, tmp_path):
    init_default_scope('vrm_mm')
    step = Step.of_method(method, tmp_path, 4, CPU)
    floor = FloorStep(step)
    assert floor.student is not getattr(step.model, 'student', step.model)
    want = step()['loss']
    got = floor()
    torch.testing.assert_close(got, want.detach(), rtol=1e-5, atol=1e-6)


def test_every_method_config_of_the_pair_is_found(tmp_path, monkeypatch):
    pair = train_speed_methods.PAIR
    for method in ('kd', 'newkd'):
        folder = tmp_path / 'baselines' / method
        folder.mkdir(parents=True)
        (folder / f'{method}_{pair}.py').write_text('')
    (tmp_path / 'baselines' / 'kd' / f'kd_resnet110_{pair}.py').write_text(
        '')
    monkeypatch.setattr(train_speed_methods, 'CONFIGS', tmp_path)
    assert list(train_speed_methods.method_configs()) == [
        'kd', 'newkd', 'vrm']
    assert list(train_speed_methods.select(['newkd'])) == ['newkd']
    with pytest.raises(SystemExit, match=r"no config for \['dkd'\]"):
        train_speed_methods.select(['dkd'])


def test_the_repository_has_the_core_methods():
    found = train_speed_methods.method_configs()
    assert {'kd', 'dkd', 'rkd', 'dist', 'vrm'} <= set(found)
    cfg = train_speed_methods.Config.fromfile(str(found['vrm']))
    assert train_speed_methods.num_views(cfg) == 2
    cfg = train_speed_methods.Config.fromfile(str(found['kd']))
    assert train_speed_methods.num_views(cfg) == 1


def test_crd_cost_row_gets_what_its_dataset_wrapper_adds(tmp_path):
    """CRD's train set is wrapped (ContrastSampleDataset): its views are
    read through the wrapper, and the in-memory batch carries sample_idx
    and K negatives, so the row is CRD's real step with its banks."""
    init_default_scope('vrm_mm')
    path = train_speed_methods.method_configs()['crd']
    cfg = train_speed_methods.Config.fromfile(str(path))
    assert train_speed_methods.num_views(cfg) == 1
    step = train_speed_methods.method_step(
        path, teacher_checkpoint(tmp_path), 4, CPU)
    samples = step.batch['data_samples']
    assert [s.sample_idx for s in samples] == [0, 1, 2, 3]
    assert samples[0].contrast_idx.shape == (16384, )
    assert samples[0].contrast_idx.min() >= 4  # never a row of the batch
    loss = step.model.distill_losses['loss_crd']
    before = loss.memory_S.clone()
    losses = step()
    assert torch.isfinite(losses['loss_crd'])
    # the batch's rows of the banks moved, the others did not
    assert not torch.equal(loss.memory_S[:4], before[:4])
    assert torch.equal(loss.memory_S[4:], before[4:])
    assert loss.z_S > 0  # Z set on this first training batch


def test_ratios_cover_floors_and_cost_rows():
    floor_of = {'kd_2views': 'floor_2views', 'method:dkd': 'floor',
                'method:vrm': 'floor_2views'}
    pairs = ratio_pairs(floor_of)
    assert ('method:dkd', 'kd_2views') in pairs
    assert ('method:dkd', 'floor') in pairs
    assert ('kd_2views', 'floor_2views') in pairs
    assert ('vrm', 'kd_2views') not in pairs  # vrm is not timed here
