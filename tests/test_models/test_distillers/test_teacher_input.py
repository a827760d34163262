"""Teacher input re-normalisation and resizing."""
import pytest
import torch
import torch.nn.functional as F
from distill_helpers import build, distiller_cfg, samples, save_teacher
from mmpretrain.structures import DataSample

from vrm_mm.models.distillers import TeacherInputTransform

STUDENT = dict(mean=[120.0, 110.0, 100.0], std=[60.0, 50.0, 40.0])
TEACHER = dict(mean=[125.0, 120.0, 115.0], std=[64.0, 62.0, 66.0])


@pytest.fixture
def renormalising(tmp_path):
    """A distiller whose teacher was trained with TEACHER mean/std."""
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    return build(distiller_cfg(
        path, teacher_norm=TEACHER,
        data_preprocessor=dict(type='ClsDataPreprocessor', **STUDENT)))


def test_renormalisation_by_hand():
    transform = TeacherInputTransform([10.0], [2.0], [4.0], [8.0])
    # x_s = 3 is the raw value 3 * 2 + 10 = 16; the teacher wants
    # (16 - 4) / 8 = 1.5
    out = transform(torch.full((1, 1, 2, 2), 3.0))
    torch.testing.assert_close(out, torch.full((1, 1, 2, 2), 1.5))


def test_teacher_sees_its_own_normalisation_of_the_raw_image(renormalising):
    distiller = renormalising
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    data = distiller.data_preprocessor(
        dict(inputs=list(raw), data_samples=samples([0, 1])), False)
    expected = (raw.float() - torch.tensor(TEACHER['mean']).view(3, 1, 1)) \
        / torch.tensor(TEACHER['std']).view(3, 1, 1)
    torch.testing.assert_close(
        distiller.teacher_input_transform(data['inputs']), expected)
    predictions = distiller.predict_teacher(data['inputs'],
                                            [DataSample(), DataSample()])
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in predictions]),
        distiller.teacher(expected).softmax(dim=1))


def test_identity_without_teacher_norm():
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(TeacherInputTransform()(x), x)


def test_resize_for_the_teacher(tmp_path):
    transform = TeacherInputTransform(size=(16, 12))
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(
        transform(x),
        F.interpolate(x, size=(16, 12), mode='bilinear',
                      align_corners=False))
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    distiller = build(distiller_cfg(path, teacher_input_size=(8, 8)))
    losses = distiller(torch.randn(4, 3, 32, 32), samples([0, 1, 2, 0]),
                       mode='loss')
    assert set(losses) == {'loss_cls', 'loss_kd'}


def test_buffers_follow_the_model_but_stay_out_of_checkpoints(
        renormalising):
    distiller = renormalising
    distiller.to(torch.float64)
    assert distiller.teacher_input_transform.scale.dtype == torch.float64
    assert not any(key.startswith('teacher_input_transform')
                   for key in distiller.state_dict())
