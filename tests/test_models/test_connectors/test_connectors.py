"""Connectors: registered, shapes, gradients, trained with the student."""
import pytest
import torch
from distill_helpers import WIDTH, build, distiller_cfg, samples, save_teacher

CONNECTORS = [
    (dict(type='LinearConnector', in_channels=6, out_channels=5),
     (4, 6), (4, 5)),
    (dict(type='MLPConnector', in_channels=6, hidden_channels=7,
          out_channels=5), (4, 6), (4, 5)),
    (dict(type='ConvBNReLUConnector', in_channels=6, out_channels=5),
     (4, 6, 3, 3), (4, 5, 3, 3)),
    (dict(type='ConvBNReLUConnector', in_channels=6, out_channels=5,
          kernel_size=3), (4, 6, 3, 3), (4, 5, 3, 3)),
]


@pytest.mark.parametrize('cfg,in_shape,out_shape', CONNECTORS)
def test_shape_and_gradient(cfg, in_shape, out_shape):
    connector = build(cfg)
    x = torch.randn(in_shape, requires_grad=True)
    out = connector(x)
    assert out.shape == out_shape
    out.pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in connector.named_parameters():
        assert param.grad is not None, name


def test_conv_bn_relu_is_non_negative():
    connector = build(CONNECTORS[2][0])
    assert connector(torch.randn(4, 6, 3, 3)).min() >= 0


def test_linear_connector_is_affine():
    connector = build(CONNECTORS[0][0])
    x = torch.randn(4, 6)
    torch.testing.assert_close(
        connector(x), x @ connector.fc.weight.t() + connector.fc.bias)


@pytest.mark.parametrize('cfg,source,target', [
    (dict(type='MLPConnector', in_channels=WIDTH, hidden_channels=8,
          out_channels=WIDTH), 'student.pre_logits', 'teacher.pre_logits'),
    (dict(type='ConvBNReLUConnector', in_channels=WIDTH,
          out_channels=WIDTH), 'student.feats', 'teacher.feats'),
])
def test_connector_trains_with_the_student(tmp_path, cfg, source, target):
    # a FitNets-style term: the adapted student features regress the
    # teacher's
    path = str(tmp_path / 'teacher.pth')
    save_teacher(path)
    distiller = build(distiller_cfg(
        path, connectors=dict(adapt=dict(cfg, input=source)),
        distill_losses=dict(loss_rec=dict(
            type='PixelReconstructionLoss', criterion='L2',
            inputs=dict(pred='connectors.adapt', target=target)))))
    names = [name for name, _ in distiller.named_parameters()]
    assert any(name.startswith('connectors.adapt.') for name in names)
    assert any(key.startswith('connectors.adapt.')
               for key in distiller.state_dict())
    optimizer = torch.optim.SGD(distiller.parameters(), lr=0.1)
    before = [p.clone() for p in distiller.connectors.parameters()]
    losses = distiller(torch.randn(4, 3, 8, 8), samples([0, 1, 2, 0]),
                       mode='loss')
    assert 'loss_rec' in losses
    (losses['loss_cls'] + losses['loss_rec']).backward()
    optimizer.step()
    # the connector receives gradient through the loss and moves
    assert all(p.grad is not None for p in distiller.connectors.parameters())
    assert distiller.student.backbone.conv1.weight.grad is not None
    assert any(not torch.equal(b, p) for b, p in zip(
        before, distiller.connectors.parameters()))
