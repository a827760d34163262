"""SingleTeacherDistiller keeps a loaded, frozen teacher outside the model."""
import pytest
import torch
from distill_helpers import build, distiller_cfg, samples, save_teacher


@pytest.fixture
def teacher_ckpt(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path, seed=7)
    return path


@pytest.fixture
def distiller(teacher_ckpt):
    return build(distiller_cfg(teacher_ckpt))


def test_teacher_holds_checkpoint_weights(distiller, teacher_ckpt):
    weights = torch.load(teacher_ckpt)
    for key, value in distiller.teacher.state_dict().items():
        assert torch.equal(value, weights[key]), key
    # the student was initialised independently
    assert not torch.equal(distiller.student.head.fc.weight,
                           weights['head.fc.weight'])


def test_teacher_is_frozen_and_stays_in_eval(distiller):
    assert all(not p.requires_grad for p in distiller.teacher.parameters())
    distiller.train()
    assert distiller.student.training
    assert not distiller.teacher.training
    assert not any(m.training for m in distiller.teacher.modules())


def test_teacher_is_not_part_of_the_model(distiller):
    teacher_params = {id(p) for p in distiller.teacher.parameters()}
    assert not teacher_params & {id(p) for p in distiller.parameters()}
    assert all(not key.startswith('teacher')
               for key in distiller.state_dict())
    assert all(module is not distiller.teacher
               for module in distiller.modules())
    assert 'frozen, not a submodule' in repr(distiller)


def test_init_weights_leaves_teacher_alone(distiller, teacher_ckpt):
    distiller.init_weights()
    weights = torch.load(teacher_ckpt)
    for key, value in distiller.teacher.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_device_and_dtype_moves_reach_teacher(distiller):
    distiller.to(torch.float64)
    assert distiller.teacher.head.fc.weight.dtype == torch.float64
    assert distiller.student.head.fc.weight.dtype == torch.float64
    distiller.float()
    assert distiller.teacher.head.fc.weight.dtype == torch.float32


def test_teacher_gets_no_gradient(distiller):
    distiller.train()
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    sum(losses.values()).backward()
    assert all(p.grad is None for p in distiller.teacher.parameters())
    assert all(p.grad is not None for p in distiller.student.parameters())


def test_optimizer_step_changes_student_only(distiller, teacher_ckpt):
    optimizer = torch.optim.SGD(distiller.parameters(), lr=0.5)
    student_before = distiller.student.head.fc.weight.clone()
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    sum(losses.values()).backward()
    optimizer.step()
    weights = torch.load(teacher_ckpt)
    assert not torch.equal(distiller.student.head.fc.weight, student_before)
    assert torch.equal(distiller.teacher.head.fc.weight,
                       weights['head.fc.weight'])
    # the teacher's BatchNorm statistics do not move either
    assert torch.equal(distiller.teacher.backbone.bn1.running_mean,
                       weights['backbone.bn1.running_mean'])


def test_missing_teacher_ckpt_explains(tmp_path):
    with pytest.raises(ValueError, match='needs `teacher_ckpt`'):
        build(distiller_cfg(None))


def test_unknown_config_key_suggests_the_closest(teacher_ckpt):
    cfg = distiller_cfg(teacher_ckpt, distill_loss=dict())
    with pytest.raises(TypeError) as error:
        build(cfg)
    message = str(error.value)
    assert "'distill_loss'" in message
    assert "Did you mean 'distill_losses'" in message
    assert 'Valid keys: student, teacher, teacher_ckpt' in message


def test_resume_state_dict_round_trip(distiller, teacher_ckpt):
    other = build(distiller_cfg(teacher_ckpt))
    result = other.load_state_dict(distiller.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(other.student.head.fc.weight,
                       distiller.student.head.fc.weight)
