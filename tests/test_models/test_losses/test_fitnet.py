"""FitNet's hint loss and its regressor, alone and in the distiller."""
import pytest
import torch
from distill_helpers import (
    base_distiller_config,
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)

from vrm_mm.models.losses import FitNetLoss, fitnet_loss
from vrm_mm.utils.errors import DistillDataError


def mse_reference(feats_S, feats_T):
    """Float64 mean squared error, element by element with loops."""
    s, t = feats_S.double().flatten().tolist(), feats_T.double().flatten()
    t = t.tolist()
    return sum((a - b)**2 for a, b in zip(s, t)) / len(s)


def test_fitnet_by_hand():
    student = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    teacher = torch.tensor([[[[1.0, 0.0], [0.0, 2.0]]]])
    # squared differences 0, 4, 9, 4 over 4 elements
    assert fitnet_loss(student, teacher).item() == pytest.approx(17 / 4)


def test_fitnet_matches_float64_reference():
    torch.manual_seed(0)
    feats_S, feats_T = torch.randn(3, 4, 5, 5), torch.randn(3, 4, 5, 5)
    assert fitnet_loss(feats_S, feats_T).item() == pytest.approx(
        mse_reference(feats_S, feats_T), abs=1e-6)
    assert fitnet_loss(feats_S.double(), feats_T.double()).item() == \
        pytest.approx(mse_reference(feats_S, feats_T), abs=1e-12)


def test_fitnet_zero_when_equal_and_gradient_to_student_only():
    torch.manual_seed(1)
    feats_S = torch.randn(2, 3, 4, 4, requires_grad=True)
    assert fitnet_loss(feats_S, feats_S.detach().clone()).item() == 0.0
    feats_T = torch.randn(2, 3, 4, 4, requires_grad=True)
    fitnet_loss(feats_S, feats_T).backward()
    assert feats_T.grad is None
    # d mean((S - T)^2) / dS = 2 (S - T) / N
    torch.testing.assert_close(
        feats_S.grad, 2 * (feats_S - feats_T).detach() / feats_S.numel())


def test_fitnet_half_inputs_give_float32():
    feats_S, feats_T = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    loss = fitnet_loss(feats_S.half(), feats_T.half())
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        mse_reference(feats_S.half(), feats_T.half()), rel=1e-6)


def test_module_default_weight_and_registration():
    feats_S, feats_T = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    assert FitNetLoss()(feats_S, feats_T).item() == pytest.approx(
        100 * fitnet_loss(feats_S, feats_T).item(), rel=1e-6)
    built = build(dict(type='FitNetLoss', loss_weight=2.0))
    assert isinstance(built, FitNetLoss)
    assert built(feats_S, feats_T).item() == pytest.approx(
        2 * fitnet_loss(feats_S, feats_T).item(), rel=1e-6)


def test_shape_mismatch_names_the_connector_fix():
    with pytest.raises(ValueError) as error:
        fitnet_loss(torch.randn(2, 32, 8, 8), torch.randn(2, 64, 16, 16))
    message = str(error.value)
    assert '(2, 32, 8, 8)' in message and '(2, 64, 16, 16)' in message
    assert "type='ConvBNReLUConnector', in_channels=32, " \
        'out_channels=64, in_size=8, out_size=16' in message
    with pytest.raises(ValueError, match='connector'):
        fitnet_loss(torch.randn(2, 8), torch.randn(2, 8, 1, 1))


@pytest.mark.parametrize('in_size,out_size', [(8, 8), (16, 8), (8, 16),
                                              (6, 4)])
def test_regressor_maps_channels_and_size(in_size, out_size):
    connector = build(dict(type='ConvBNReLUConnector', in_channels=5,
                           out_channels=7, in_size=in_size,
                           out_size=out_size))
    x = torch.randn(2, 5, in_size, in_size, requires_grad=True)
    out = connector(x)
    assert out.shape == (2, 7, out_size, out_size)
    assert out.min() >= 0  # ReLU
    fitnet_loss(out, torch.rand(2, 7, out_size, out_size)).backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in connector.parameters())


def test_regressor_refuses_what_it_cannot_map():
    with pytest.raises(ValueError, match='cannot enlarge a 4 x 4 map to 16'):
        build(dict(type='ConvBNReLUConnector', in_channels=2,
                   out_channels=2, in_size=4, out_size=16))
    with pytest.raises(ValueError, match='leave kernel_size at 1'):
        build(dict(type='ConvBNReLUConnector', in_channels=2,
                   out_channels=2, kernel_size=3, in_size=8, out_size=4))
    with pytest.raises(ValueError, match='both in_size and out_size'):
        build(dict(type='ConvBNReLUConnector', in_channels=2,
                   out_channels=2, in_size=8))


@pytest.mark.parametrize('teacher_stage,channels,out_size', [
    (1, 16, 16),  # the middle stages, as RepDistiller's hint_layer=2
    (2, 32, 8),  # a deeper, smaller teacher stage: a strided regressor
])
def test_fitnet_trains_in_the_distiller(tmp_path, teacher_stage, channels,
                                        out_size):
    student = tiny_classifier()  # stages of 4, 8, 16 channels
    teacher = tiny_classifier(depth=14, base_channels=8)
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, teacher)
    distiller = build(distiller_cfg(
        ckpt, student=student, teacher=teacher, student_loss_weight=1.0,
        connectors=dict(hint=dict(
            type='ConvBNReLUConnector', in_channels=8,
            out_channels=channels, in_size=16, out_size=out_size,
            input='student.feats.1')),
        distill_losses=dict(loss_fitnet=dict(
            type='FitNetLoss', loss_weight=100.0,
            inputs=dict(feats_S='connectors.hint',
                        feats_T=f'teacher.feats.{teacher_stage}')))))
    losses = distiller(torch.randn(3, 3, 32, 32), samples([0, 1, 2]),
                       mode='loss')
    assert set(losses) == {'loss_cls', 'loss_fitnet'}
    assert losses['loss_fitnet'].item() > 0
    sum(losses.values()).backward()
    assert distiller.connectors.hint.conv.weight.grad.abs().sum() > 0
    assert distiller.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in distiller.teacher.parameters())


def test_missing_regressor_is_a_clear_error_in_the_distiller(tmp_path):
    student = tiny_classifier()  # stages of 4, 8, 16 channels
    teacher = tiny_classifier(depth=14, base_channels=8)
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, teacher)
    distiller = build(distiller_cfg(
        ckpt, student=student, teacher=teacher,
        distill_losses=dict(loss_fitnet=dict(
            type='FitNetLoss',
            inputs=dict(feats_S='student.feats.1',
                        feats_T='teacher.feats.1')))))
    with pytest.raises(DistillDataError,
                       match=r'loss_fitnet \(FitNetLoss\).*in_channels=8, '
                       'out_channels=16, in_size=16, out_size=16'):
        distiller(torch.randn(2, 3, 32, 32), samples([0, 1]), mode='loss')


# --- parity with the released code, at the base config's settings -------
def released_fitnet(x, conv, conv_bias, bn, f_t, stride_kind):
    """A transcription of RepDistiller's FitNet: the regressor ConvReg
    (models/util.py: conv with bias, then BN in training mode, then ReLU;
    a 3 x 3 stride-2 conv halves, a 4 x 4 stride-2 transposed conv
    doubles, a (1 + s_H - t_H) kernel otherwise) and HintLoss
    (distiller_zoo/FitNet.py: nn.MSELoss()), the teacher under no_grad."""
    import torch.nn.functional as F
    if stride_kind == 'double':
        y = F.conv_transpose2d(x, conv.weight, conv_bias, stride=2,
                               padding=1)
    elif stride_kind == 'halve':
        y = F.conv2d(x, conv.weight, conv_bias, stride=2, padding=1)
    else:
        y = F.conv2d(x, conv.weight, conv_bias)
    y = F.relu(F.batch_norm(y, None, None, bn.weight, bn.bias, True, 0.0,
                            bn.eps))
    return torch.nn.MSELoss()(y, f_t.detach())


@pytest.mark.parametrize('in_size, kind', [(8, 'same'), (16, 'halve'),
                                           (4, 'double'), (10, 'shrink')])
def test_fitnet_equals_the_released_code_in_value_and_gradient(in_size,
                                                              kind):
    cfg = base_distiller_config('fitnet')
    loss_cfg = dict(cfg.model.distill_losses.loss_fitnet)
    loss_cfg.pop('inputs')
    loss = build(loss_cfg)
    assert loss.loss_weight == 100.0  # RepDistiller's -b 100
    hint = dict(cfg.model.connectors.hint, in_channels=6, out_channels=5,
                in_size=in_size, out_size=8)
    hint.pop('input')
    connector = build(hint).double()
    torch.manual_seed(6)
    with torch.no_grad():  # non-trivial BN affine parameters
        connector.bn.weight.uniform_(0.5, 1.5)
        connector.bn.bias.uniform_(-0.5, 0.5)
    x = torch.randn(4, 6, in_size, in_size, dtype=torch.float64,
                    requires_grad=True)
    x_released = x.detach().clone().requires_grad_()
    feats_T = torch.randn(4, 5, 8, 8, dtype=torch.float64)
    ours = loss(connector(x), feats_T)
    # ConvReg's conv has a bias; BatchNorm in training mode cancels it
    bias = torch.randn(5, dtype=torch.float64)
    released = 100.0 * released_fitnet(x_released, connector.conv, bias,
                                       connector.bn, feats_T, kind)
    params = [connector.conv.weight, connector.bn.weight, connector.bn.bias]
    grads = torch.autograd.grad(ours, [x] + params)
    released_grads = torch.autograd.grad(released, [x_released] + params)
    scale = released.abs().item()
    torch.testing.assert_close(ours, released, rtol=1e-6, atol=1e-6 * scale)
    for a, b in zip(grads, released_grads):
        torch.testing.assert_close(a, b, rtol=1e-6,
                                   atol=1e-6 * b.abs().max().item())
