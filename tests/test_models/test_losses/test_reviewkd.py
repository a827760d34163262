"""ReviewKD's hierarchical context loss (HCL)."""
import pytest
import torch
from distill_helpers import build

from vrm_mm.models.losses import ReviewKDLoss, hcl_loss


def mse(a, b):
    return ((a - b)**2).mean().item()


def pooled(x, size):
    """Average pooling of a B x C x H x W map to size x size, by blocks
    (H and W divisible by size)."""
    b, c, h, w = x.shape
    return x.reshape(b, c, size, h // size, size, w // size).mean((3, 5))


def hcl_reference(feats_S, feats_T):
    """Float64 HCL from the formula, with the weights written out."""
    total = 0.0
    for s, t in zip(feats_S, feats_T):
        s, t = s.double(), t.double()
        if s.dim() == 2:
            s, t = s[:, :, None, None], t[:, :, None, None]
        side = s.shape[-1]
        sizes = [k for k in (4, 2, 1) if k < side]
        weights = [0.5**(j + 1) for j in range(len(sizes))]
        value = mse(s, t) + sum(
            w * mse(pooled(s, k), pooled(t, k))
            for w, k in zip(weights, sizes))
        total += value / (1 + sum(weights))
    return total


def levels(seed, scale=1.0):
    torch.manual_seed(seed)
    return [scale * torch.randn(3, 4, 8, 8), scale * torch.randn(3, 6, 4, 4),
            scale * torch.randn(3, 5, 2, 2), scale * torch.randn(3, 7)]


def test_hcl_by_hand():
    # one 2 x 2 level, one channel: the full map and the 1 x 1 pool (2 x 2
    # is not smaller than the map) with weights 1 and 1/2 over 3/2
    student = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    teacher = torch.zeros(1, 1, 2, 2)
    full = (1 + 4 + 9 + 16) / 4  # 7.5
    mean = 2.5**2  # the 1 x 1 pool: (mean 2.5 - 0)^2
    expected = (full + 0.5 * mean) / 1.5
    assert hcl_loss([student], [teacher]).item() == pytest.approx(expected)
    # a pooled B x C level is the plain MSE, and the levels add up
    vector_S, vector_T = torch.tensor([[1.0, -1.0]]), torch.tensor([[0., 1.]])
    assert hcl_loss([student, vector_S],
                    [teacher, vector_T]).item() == pytest.approx(
                        expected + (1 + 4) / 2)


def test_hcl_weights_of_an_8x8_level():
    # constant maps: every pooled term equals the full term, so the
    # normalised weights (1, 1/2, 1/4, 1/8) / (15/8) sum to one
    student, teacher = torch.full((2, 3, 8, 8), 3.0), torch.ones(2, 3, 8, 8)
    assert hcl_loss([student], [teacher]).item() == pytest.approx(4.0)
    # a map that averages to zero over every 2 x 2 block: only the full term
    checker = torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).repeat(4, 4)
    student = checker.expand(2, 3, 8, 8)
    assert hcl_loss([student], [torch.zeros(2, 3, 8, 8)]).item() == \
        pytest.approx(1.0 / (15 / 8))


def test_hcl_matches_float64_reference():
    feats_S, feats_T = levels(0), levels(1, scale=2.0)
    expected = hcl_reference(feats_S, feats_T)
    assert hcl_loss([f.double() for f in feats_S],
                    [f.double() for f in feats_T]).item() == pytest.approx(
                        expected, abs=1e-12)
    assert hcl_loss(feats_S, feats_T).item() == pytest.approx(
        expected, abs=1e-6)


def test_hcl_is_zero_when_equal_and_positive_otherwise():
    feats = levels(2)
    assert hcl_loss(feats, [f.clone() for f in feats]).item() == 0.0
    assert hcl_loss(feats, levels(3)).item() > 0


def test_gradient_reaches_only_the_student():
    feats_S = [f.requires_grad_() for f in levels(4)]
    feats_T = [f.requires_grad_() for f in levels(5)]
    hcl_loss(feats_S, feats_T).backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0
               for f in feats_S)
    assert all(f.grad is None for f in feats_T)


def test_module_weight_and_registration():
    loss = build(dict(type='ReviewKDLoss', loss_weight=5.0))
    assert isinstance(loss, ReviewKDLoss)
    feats_S, feats_T = levels(6), levels(7)
    assert loss(feats_S, feats_T).item() == pytest.approx(
        5.0 * hcl_loss(feats_S, feats_T).item())
    # without the pooled terms the loss is the sum of the plain MSEs
    plain = ReviewKDLoss(pool_sizes=())
    assert plain(feats_S, feats_T).item() == pytest.approx(
        sum(mse(s, t) for s, t in zip(feats_S, feats_T)), rel=1e-6)
    with pytest.raises(ValueError, match='pool_sizes must be positive'):
        ReviewKDLoss(pool_sizes=(4, 0))


def test_level_count_mismatch_names_both_shapes():
    feats_S, feats_T = levels(8), levels(9)[:3]
    with pytest.raises(ValueError,
                       match=r'4 student and 3 teacher.*\(3, 7, 1, 1\)'):
        hcl_loss(feats_S, feats_T)


def test_shape_mismatch_names_both_shapes_and_the_fix():
    feats_S, feats_T = levels(10), levels(11)
    feats_T[1] = torch.randn(3, 6, 8, 8)
    with pytest.raises(ValueError, match=r'level 1.*\(3, 6, 4, 4\).*'
                       r'\(3, 6, 8, 8\).*out_shapes\[1\]'):
        hcl_loss(feats_S, feats_T)


def test_a_single_tensor_is_refused():
    with pytest.raises(ValueError, match='lists of features'):
        hcl_loss(torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4))


# --- parity with the released code, at the base config's settings -------
def base_config():
    import os.path as osp

    from mmengine.config import Config
    root = osp.join(osp.dirname(__file__), '..', '..', '..')
    return Config.fromfile(
        osp.join(root, 'configs/_base_/distillers/reviewkd.py'))


def released_hcl(fstudent, fteacher):
    """A transcription of ReviewKD's `hcl` (dvlab-research/ReviewKD,
    CIFAR-100/model/reviewkd.py; mdistiller's `hcl_loss` is the same): per
    level the full MSE plus the MSEs of the 4 x 4, 2 x 2, 1 x 1 adaptive
    average pools smaller than the map, weighted 1/2, 1/4, 1/8 in turn,
    over the sum of the weights; summed over the levels."""
    import torch.nn.functional as F
    total = 0.0
    for fs, ft in zip(fstudent, fteacher):
        h = fs.shape[2]
        level = F.mse_loss(fs, ft, reduction='mean')
        weight, weights = 1.0, 1.0
        for size in (4, 2, 1):
            if size >= h:
                continue
            weight /= 2.0
            level = level + weight * F.mse_loss(
                F.adaptive_avg_pool2d(fs, (size, size)),
                F.adaptive_avg_pool2d(ft, (size, size)), reduction='mean')
            weights += weight
        total = total + level / weights
    return total


def test_hcl_equals_the_released_code_in_value_and_gradient():
    feats_S = [f.double().requires_grad_() for f in levels(6)]
    released_S = [f.detach().clone().requires_grad_() for f in feats_S]
    feats_T = [f.double() for f in levels(7, scale=2.0)]
    released_T = [f if f.dim() == 4 else f[:, :, None, None]
                  for f in feats_T]
    released_S4 = [f if f.dim() == 4 else f[:, :, None, None]
                   for f in released_S]
    loss_cfg = dict(base_config().model.distill_losses.loss_reviewkd)
    loss_cfg.pop('inputs')
    loss = build(dict(loss_cfg, loss_weight=5.0))  # e.g. ResNet32x4 pairs
    assert loss.pool_sizes == (4, 2, 1)
    ours = loss(feats_S, feats_T)
    released = 5.0 * released_hcl(released_S4, released_T)
    torch.testing.assert_close(ours, released, rtol=1e-6, atol=0)
    ours.backward()
    released.backward()
    for a, b in zip(feats_S, released_S):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-6,
                                   atol=1e-6 * b.grad.abs().max().item())
