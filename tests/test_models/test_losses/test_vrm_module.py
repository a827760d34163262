"""The registered VRMLoss module."""

import pytest
import torch
import torch.nn.functional as F

from vrm_mm.models.losses.vrm import VRMLoss, vrm_loss
from vrm_mm.registry import MODELS


def views(batch=4, classes=5):
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(batch, classes, generator=gen) for _ in range(4)]


def test_builds_from_registry_and_weights_graph_terms():
    loss = MODELS.build(
        dict(type='VRMLoss', alpha=2.0, beta=0.5, loss_weight=3.0,
             uep='entropy_sum', uep_ratio=0.25))
    assert isinstance(loss, VRMLoss)
    x = views()
    out = loss(*x)
    plain = vrm_loss(*x, uep='entropy_sum', uep_ratio=0.25)
    torch.testing.assert_close(out['loss_vrm_is'],
                               6.0 * plain['loss_vrm_is'])
    torch.testing.assert_close(out['loss_vrm_ic'],
                               1.5 * plain['loss_vrm_ic'])
    assert out['vrm_edges_pruned'] == plain['vrm_edges_pruned'] == 4
    assert 'loss_vrm_virtual_ce' not in out


def test_virtual_view_cross_entropy():
    x = views()
    labels = torch.tensor([0, 3, 1, 4])
    out = VRMLoss(virtual_ce_weight=0.4, loss_weight=2.0)(*x, gt_label=labels)
    torch.testing.assert_close(out['loss_vrm_virtual_ce'],
                               0.4 * F.cross_entropy(x[1], labels))
    with pytest.raises(ValueError, match="gt_label='gt_label'"):
        VRMLoss(virtual_ce_weight=0.4)(*x)


def test_missing_virtual_view_explains_the_pipeline():
    s_real, _, t_real, t_virtual = views()
    with pytest.raises(ValueError, match='two-view dataset pipeline'):
        VRMLoss()(s_real, None, t_real, t_virtual)


def test_gather_all_is_the_local_loss_in_one_process():
    x = views()
    torch.testing.assert_close(
        VRMLoss(gather='all')(*x)['loss_vrm_is'],
        VRMLoss()(*x)['loss_vrm_is'])


@pytest.mark.parametrize('kwargs,message', [
    (dict(gather='some'), "'none', 'all'"),
    (dict(match='l2'), "'mse', 'huber'"),
    (dict(uep_ratio=-0.1), r'\[0, 1\)'),
])
def test_rejects_bad_options_when_built(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VRMLoss(**kwargs)


def test_loss_weight_changed_at_runtime_scales_the_graph_terms():
    """DistillLossWarmupHook sets ``loss_weight`` between iterations."""
    torch.manual_seed(0)
    s_real, s_virtual, t_real, t_virtual = torch.randn(4, 6, 5).unbind(0)
    loss = VRMLoss(alpha=1.0, beta=2.0, loss_weight=1.0)
    full = loss(s_real, s_virtual, t_real, t_virtual)
    loss.loss_weight = 0.25
    ramped = loss(s_real, s_virtual, t_real, t_virtual)
    for key in ('loss_vrm_is', 'loss_vrm_ic'):
        assert full[key] > 0
        torch.testing.assert_close(ramped[key], 0.25 * full[key])
