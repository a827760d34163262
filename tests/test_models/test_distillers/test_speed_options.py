"""GPU speed options of the distiller, checked on CPU against the plain
step: channels_last, a bf16/fp16 teacher, torch.compile."""
import pytest
import torch
from distill_helpers import build, distiller_cfg, samples, save_teacher

LABELS = [0, 1, 2, 0]


@pytest.fixture
def ckpt(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path, seed=3)
    return path


def step(ckpt, **options):
    """Loss dict and student gradients of one step from a fixed init."""
    torch.manual_seed(0)
    distiller = build(distiller_cfg(ckpt, **options))
    torch.manual_seed(1)
    x = torch.randn(4, 3, 8, 8)
    losses = distiller(x, samples(LABELS), mode='loss')
    sum(losses.values()).backward()
    grads = {n: p.grad for n, p in distiller.student.named_parameters()}
    return distiller, losses, grads


def assert_step_close(got, want, **tolerance):
    (_, losses, grads), (_, ref_losses, ref_grads) = got, want
    assert set(losses) == set(ref_losses)
    for key, value in losses.items():
        assert value.dtype == torch.float32
        torch.testing.assert_close(value, ref_losses[key], **tolerance)
    assert set(grads) == set(ref_grads)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, ref_grads[name], **tolerance)


def test_channels_last_matches_the_plain_step(ckpt):
    got = step(ckpt, channels_last=True)
    assert_step_close(got, step(ckpt), rtol=1e-5, atol=1e-6)
    distiller = got[0]
    conv = distiller.student.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert distiller.teacher.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_low_precision_teacher_matches_within_its_precision(ckpt, dtype):
    got = step(ckpt, teacher_autocast=dtype)
    # a bf16 mantissa has 8 bits: relative error ~ 2^-8 per op
    assert_step_close(got, step(ckpt), rtol=3e-2, atol=3e-3)
    distiller = got[0]
    seen = []
    distiller.teacher.head.register_forward_hook(
        lambda m, i, out: seen.append(out.dtype))
    named = distiller._teacher_outputs([torch.randn(4, 3, 8, 8)])
    assert seen == [getattr(torch, dtype)]  # the teacher ran in it
    assert named['teacher.logits'].dtype == torch.float32  # losses: fp32


def test_compile_matches_the_plain_step_and_keeps_state_dict_keys(ckpt):
    # aot_eager: dynamo's capture and AOTAutograd's forward/backward
    # graphs, without inductor's C++ build (about a minute on this CPU)
    got = step(ckpt, compile=dict(backend='aot_eager'))
    want = step(ckpt)
    assert_step_close(got, want, rtol=1e-5, atol=1e-6)
    assert list(got[0].state_dict()) == list(want[0].state_dict())


@pytest.mark.parametrize('options, error, message', [
    (dict(teacher_autocast='fp8'), ValueError, "'bfloat16', 'float16'"),
    (dict(compile='yes'), TypeError, 'dict of torch.compile arguments'),
])
def test_bad_options_say_what_is_valid(ckpt, options, error, message):
    with pytest.raises(error, match=message):
        build(distiller_cfg(ckpt, **options))
