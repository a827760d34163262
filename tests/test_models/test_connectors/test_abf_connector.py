"""ReviewKD's ABFConnector: shapes, the fusion formula, errors, training."""
import pytest
import torch
import torch.nn.functional as F
from distill_helpers import build, distiller_cfg, samples, save_teacher

from vrm_mm.models.connectors import ABFConnector
from vrm_mm.utils.errors import DistillDataError

# ResNet32x4 -> ShuffleNetV2 on CIFAR (the released code's settings): the
# student's stages 116@16, 232@8, 464@4 and its pooled 1024, the teacher's
# 64@32, 128@16, 256@8 and its pooled 256
SHUFFLE_V2 = dict(type='ABFConnector', in_channels=[116, 232, 464, 1024],
                  out_channels=[64, 128, 256, 256],
                  out_shapes=[32, 16, 8, 1])


def shufflenet_v2_inputs(batch=2):
    torch.manual_seed(0)
    return [torch.randn(batch, 116, 16, 16), torch.randn(batch, 232, 8, 8),
            torch.randn(batch, 464, 4, 4), torch.randn(batch, 1024)]


def test_shapes_for_a_cifar_pair_and_mid_width():
    connector = build(SHUFFLE_V2)
    outputs = connector(shufflenet_v2_inputs())
    assert [tuple(o.shape) for o in outputs] == [
        (2, 64, 32, 32), (2, 128, 16, 16), (2, 256, 8, 8), (2, 256, 1, 1)]
    # min(512, 1024): the released code's mid width
    assert all(abf.reduce[0].out_channels == 512 for abf in connector.abfs)
    same_size = ABFConnector([16, 32, 64, 64], [16, 32, 64, 64])
    outputs = same_size([
        torch.randn(2, 16, 32, 32), torch.randn(2, 32, 16, 16),
        torch.randn(2, 64, 8, 8), torch.randn(2, 64)])
    assert [o.shape[-1] for o in outputs] == [32, 16, 8, 1]
    assert same_size.abfs[0].reduce[0].out_channels == 64


def test_gradient_reaches_every_parameter_and_input():
    connector = build(SHUFFLE_V2)
    inputs = [x.requires_grad_() for x in shufflenet_v2_inputs()]
    sum((o - 1).pow(2).mean() for o in connector(inputs)).backward()
    for name, param in connector.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert all(x.grad.abs().sum() > 0 for x in inputs)
    # only the deepest level has no residual to fuse
    assert [abf.attention is None for abf in connector.abfs] == [
        False, False, False, True]


def test_fusion_formula_against_a_float64_reference():
    connector = ABFConnector([3, 5], [2, 4], mid_channels=6).double().eval()
    torch.manual_seed(1)
    shallow = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    deep = torch.randn(2, 5, 2, 2, dtype=torch.float64)
    out_shallow, out_deep = connector([shallow, deep])

    def bn(x, layer):
        return F.batch_norm(x, layer.running_mean, layer.running_var,
                            layer.weight, layer.bias, False, 0.0, layer.eps)

    deep_abf, shallow_abf = connector.abfs[1], connector.abfs[0]
    residual = bn(F.conv2d(deep, deep_abf.reduce[0].weight),
                  deep_abf.reduce[1])
    assert torch.allclose(
        out_deep, bn(F.conv2d(residual, deep_abf.expand[0].weight, padding=1),
                     deep_abf.expand[1]))
    x = bn(F.conv2d(shallow, shallow_abf.reduce[0].weight),
           shallow_abf.reduce[1])
    up = residual.repeat_interleave(2, 2).repeat_interleave(2, 3)
    conv = shallow_abf.attention[0]
    weights = torch.sigmoid(F.conv2d(torch.cat([x, up], 1), conv.weight,
                                     conv.bias))
    fused = x * weights[:, :1] + up * weights[:, 1:]
    assert torch.allclose(
        out_shallow, bn(F.conv2d(fused, shallow_abf.expand[0].weight,
                                 padding=1), shallow_abf.expand[1]))


def test_attention_decides_how_much_the_deeper_level_counts():
    connector = ABFConnector([3, 5], [2, 4]).eval()
    torch.manual_seed(2)
    shallow, deep = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)
    other_deep = torch.randn(2, 5, 2, 2)
    with torch.no_grad():
        assert not torch.allclose(connector([shallow, deep])[0],
                                  connector([shallow, other_deep])[0])
        attention = connector.abfs[0].attention[0]
        attention.weight.zero_()
        attention.bias.copy_(torch.tensor([30.0, -30.0]))  # own level only
        torch.testing.assert_close(connector([shallow, deep])[0],
                                   connector([shallow, other_deep])[0])


def test_wrong_list_length_and_channels_are_clear_errors():
    connector = build(SHUFFLE_V2)
    with pytest.raises(ValueError, match=r'has 4 levels .*got 3 inputs'):
        connector(shufflenet_v2_inputs()[:3])
    with pytest.raises(ValueError, match='got one tensor'):
        connector(torch.randn(2, 116, 16, 16))
    wrong = shufflenet_v2_inputs()
    wrong[1] = torch.randn(2, 200, 8, 8)
    with pytest.raises(ValueError, match=r'in_channels \[116, 232, 464, 1024'
                       r'\].*\(2, 200, 8, 8\)'):
        connector(wrong)
    with pytest.raises(ValueError, match='one in_channels, out_channels'):
        ABFConnector([16, 32], [16])


def reviewkd_distiller(tmp_path, out_channels=(4, 8, 16, 16)):
    """ReviewKD between two tiny CIFAR ResNet-8s: stages 4@8, 8@4, 16@2
    and the pooled 16 at an 8 px input."""
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt)
    stages = ['feats.0', 'feats.1', 'feats.2', 'pre_logits']
    return build(distiller_cfg(
        ckpt,
        connectors=dict(abf=dict(
            type='ABFConnector', in_channels=[4, 8, 16, 16],
            out_channels=list(out_channels),
            input=[f'student.{name}' for name in stages])),
        distill_losses=dict(loss_reviewkd=dict(
            type='ReviewKDLoss',
            inputs=dict(feats_S='connectors.abf',
                        feats_T=[f'teacher.{name}' for name in stages])))))


def test_trained_and_checkpointed_with_the_student(tmp_path):
    distiller = reviewkd_distiller(tmp_path)
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    assert losses['loss_reviewkd'] > 0
    sum(losses.values()).backward()
    for name, param in distiller.connectors.abf.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert any(key.startswith('connectors.abf.abfs.0.attention')
               for key in distiller.state_dict())


def test_fused_features_reach_the_loss_in_float32_under_autocast(tmp_path):
    distiller = reviewkd_distiller(tmp_path)
    seen = []
    distiller.distill_losses.loss_reviewkd.register_forward_pre_hook(
        lambda module, args, kwargs: seen.extend(kwargs['feats_S']),
        with_kwargs=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                           mode='loss')
    assert len(seen) == 4 and all(f.dtype == torch.float32 for f in seen)
    assert losses['loss_reviewkd'].dtype == torch.float32


def test_a_fused_level_unlike_the_teachers_names_the_loss(tmp_path):
    distiller = reviewkd_distiller(tmp_path, out_channels=(4, 8, 32, 16))
    with pytest.raises(DistillDataError,
                       match=r'loss_reviewkd \(ReviewKDLoss\): ReviewKD '
                       r'level 2.*\(4, 32, 2, 2\).*\(4, 16, 2, 2\).*'
                       r'out_channels\[2\]'):
        distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]), mode='loss')


# --- parity with the released code ---------------------------------
def released_abf(abf, x, y=None, shape=None, out_shape=None):
    """A transcription of ReviewKD's ABF.forward (CIFAR-100/model/
    reviewkd.py) on the weights of one of our ABF levels: conv1 (1 x 1 +
    BN), fusion with the nearest-upsampled deeper residual by the two
    sigmoid attention maps, a nearest resize to out_shape, conv2 (3 x 3 +
    BN); returns (output, residual)."""
    import torch.nn.functional as F

    def bn(t, layer):  # BatchNorm in training mode, as the student trains
        return F.batch_norm(t, None, None, layer.weight, layer.bias, True,
                            0.0, layer.eps)

    n, _, h, w = x.shape
    x = bn(F.conv2d(x, abf.reduce[0].weight), abf.reduce[1])
    if abf.attention is not None:
        y = F.interpolate(y, (shape, shape), mode='nearest')
        conv = abf.attention[0]
        z = torch.sigmoid(F.conv2d(torch.cat([x, y], 1), conv.weight,
                                   conv.bias))
        x = x * z[:, 0].view(n, 1, h, w) + y * z[:, 1].view(n, 1, h, w)
    if x.shape[-1] != out_shape:
        x = F.interpolate(x, (out_shape, out_shape), mode='nearest')
    out = bn(F.conv2d(x, abf.expand[0].weight, padding=1), abf.expand[1])
    return out, x


def released_review(connector, feats, shapes, out_shapes):
    """A transcription of ReviewKD.forward (CIFAR-100/model/reviewkd.py):
    the student's levels deepest first (the pooled B x C x 1 x 1 feature
    first), the first ABF without a residual, each result inserted in
    front; ``shapes`` / ``out_shapes`` deepest first, as released."""
    x = feats[::-1]
    abfs = list(connector.abfs)[::-1]
    out, residual = released_abf(abfs[0], x[0], out_shape=out_shapes[0])
    results = [out]
    for feat, abf, shape, out_shape in zip(x[1:], abfs[1:], shapes[1:],
                                           out_shapes[1:]):
        out, residual = released_abf(abf, feat, residual, shape, out_shape)
        results.insert(0, out)
    return results


def test_abf_equals_the_released_code_in_value_and_gradient():
    """ResNet32x4 -> ShuffleNetV2's level layout (student maps at 16, 8, 4
    and its pooled feature, teacher maps at 32, 16, 8 and its pooled
    feature), scaled down in channels and size; the released code's shapes
    and out_shapes as its build_review_kd sets them. The gradient is
    compared through our HCL (equal to the released one in
    tests/test_models/test_losses/test_reviewkd.py)."""
    from vrm_mm.models.losses import hcl_loss
    connector = build(dict(type='ABFConnector', in_channels=[6, 8, 10, 12],
                           out_channels=[4, 5, 6, 6],
                           out_shapes=[16, 8, 4, 1])).double()
    torch.manual_seed(8)
    with torch.no_grad():  # non-trivial BN affine parameters
        for module in connector.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    feats_S = [torch.randn(3, c, s, s, dtype=torch.float64)
               for c, s in ((6, 8), (8, 4), (10, 2))]
    feats_S.append(torch.randn(3, 12, dtype=torch.float64))
    feats_T = [torch.randn(3, c, s, s, dtype=torch.float64)
               for c, s in ((4, 16), (5, 8), (6, 4), (6, 1))]
    ours_in = [f.clone().requires_grad_() for f in feats_S]
    released_in = [f.clone().requires_grad_() for f in feats_S]

    ours = connector(ours_in)
    released = released_review(
        connector, released_in[:3] + [released_in[3][:, :, None, None]],
        shapes=[1, 2, 4, 8], out_shapes=[1, 4, 8, 16])
    for a, b in zip(ours, released):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-12)
    params = list(connector.parameters())
    grads = torch.autograd.grad(hcl_loss(ours, feats_T), ours_in + params)
    released_grads = torch.autograd.grad(hcl_loss(released, feats_T),
                                         released_in + params)
    for a, b in zip(grads, released_grads):
        torch.testing.assert_close(a, b, rtol=1e-6,
                                   atol=1e-6 * b.abs().max().item())
