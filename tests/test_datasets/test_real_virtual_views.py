"""RealVirtualViews on synthetic images: shapes, channels, options."""
import random

import numpy as np
import pytest
from mmpretrain.datasets.transforms.auto_augment import RANDAUG_POLICIES

from vrm_mm.datasets import VIRTUAL_VIEW_POLICIES, RealVirtualViews
from vrm_mm.datasets.transforms import MLKDStrongAugment
from vrm_mm.registry import TRANSFORMS

CROP_FLIP_28 = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]


def _image(shape, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, shape).astype(np.uint8)


def test_vrm_increasing_policies_differ_from_timm_only_in_posterize():
    ours = VIRTUAL_VIEW_POLICIES['vrm_increasing']
    timm = RANDAUG_POLICIES['timm_increasing']
    assert [p['type'] for p in ours] == [p['type'] for p in timm]
    for mine, theirs in zip(ours, timm):
        if mine['type'] == 'Posterize':
            assert mine['magnitude_range'] == (8, 4)
            assert theirs['magnitude_range'] == (4, 0)
        else:
            assert mine == theirs


def test_posterize_at_full_magnitude_keeps_the_image():
    posterize = [p for p in VIRTUAL_VIEW_POLICIES['vrm_increasing']
                 if p['type'] == 'Posterize']
    views = RealVirtualViews(
        view_transforms=[], num_ops=1, magnitude=10,
        policies=[dict(posterize[0], prob=1.0)])
    img = _image((8, 8, 3))
    virtual = views(dict(img=img))['img'][1]
    np.testing.assert_array_equal(virtual, img & 0xF0)  # 4 kept bits


@pytest.mark.parametrize('shape', [(28, 28), (28, 28, 1), (28, 28, 3)])
def test_every_policy_op_keeps_the_image_shape(shape):
    for policy in VIRTUAL_VIEW_POLICIES['vrm_increasing']:
        views = RealVirtualViews(
            view_transforms=[], num_ops=1, magnitude=10,
            policies=[dict(policy, prob=1.0)])
        real, virtual = views(dict(img=_image(shape)))['img']
        assert real.shape == virtual.shape == shape, policy['type']
        assert virtual.dtype == np.uint8


def test_one_channel_op_equals_the_three_channel_op_on_grey():
    contrast = dict(type='Contrast', magnitude_range=(0, 0.9), prob=1.0,
                    random_negative_prob=0.0)
    grey = _image((28, 28))
    views = RealVirtualViews(view_transforms=[], num_ops=1, magnitude=10,
                             policies=[contrast])
    virtual = views(dict(img=grey))['img'][1]
    rgb = TRANSFORMS.build(dict(
        contrast, magnitude_level=10))(dict(img=np.dstack([grey] * 3)))
    np.testing.assert_array_equal(virtual, rgb['img'][..., 0])
    assert not np.array_equal(virtual, grey)


@pytest.mark.parametrize('shape', [(16, 16, 3), (16, 16)])
def test_rotation_borders_are_grey(shape):
    rotate = dict(type='Rotate', magnitude_range=(0, 30), prob=1.0)
    views = RealVirtualViews(view_transforms=[], num_ops=1, magnitude=10,
                             policies=[rotate], pad_val=100)
    img = np.full(shape, 7, dtype=np.uint8)
    virtual = views(dict(img=img))['img'][1]
    assert virtual.shape == shape
    # a 30 degree turn uncovers the corners
    np.testing.assert_array_equal(virtual[0, 0], np.full(shape[2:], 100))


def test_cutout_fills_a_square_with_pad_val():
    img = np.full((32, 32, 3), 7, dtype=np.uint8)
    views = RealVirtualViews(
        view_transforms=[], num_ops=1, magnitude=0,
        policies=[dict(type='Invert', prob=0.0)], cutout_shape=8,
        pad_val=200)
    np.random.seed(3)
    real, virtual = views(dict(img=img))['img']
    np.testing.assert_array_equal(real, img)
    filled = np.all(virtual == 200, axis=2)
    assert 0 < filled.sum() <= 64
    rows, cols = np.nonzero(filled)
    assert rows.max() - rows.min() < 8 and cols.max() - cols.min() < 8
    assert np.all(virtual[~filled] == 7)


def test_no_cutout_by_default():
    views = RealVirtualViews(view_transforms=[])
    assert views.cutout is None


def test_grey_views_after_crop_have_equal_shapes():
    views = RealVirtualViews(view_transforms=CROP_FLIP_28)
    for seed in range(5):
        np.random.seed(seed)
        real, virtual = views(dict(img=_image((28, 28, 1))))['img']
        assert real.shape[:2] == (28, 28) and real.shape == virtual.shape


def test_options_reach_rand_augment():
    views = TRANSFORMS.build(dict(
        type='RealVirtualViews', view_transforms=CROP_FLIP_28, num_ops=3,
        magnitude=5, magnitude_std=0.5, policies='timm_increasing'))
    assert views.rand_augment.num_policies == 3
    assert views.rand_augment.magnitude_level == 5
    assert views.rand_augment.magnitude_std == 0.5
    assert len(views.rand_augment.policies) == len(
        RANDAUG_POLICIES['timm_increasing'])


def test_zero_ops_means_no_rand_augment():
    img = _image((8, 8, 3))
    views = RealVirtualViews(view_transforms=[], num_ops=0, magnitude=10)
    real, virtual = views(dict(img=img))['img']
    np.testing.assert_array_equal(real, img)
    np.testing.assert_array_equal(virtual, img)
    cut = RealVirtualViews(view_transforms=[], num_ops=0, cutout_shape=4)
    virtual = cut(dict(img=img))['img'][1]
    changed = (virtual != img).any(axis=2)
    assert 0 < changed.sum() <= 16  # a 4 x 4 square, clipped at the border
    assert (virtual[changed] == 128).all()  # only the Cutout


def test_bad_options_have_clear_errors():
    with pytest.raises(ValueError, match='num_ops'):
        RealVirtualViews(view_transforms=[], num_ops=-1)
    with pytest.raises(ValueError, match='magnitude'):
        RealVirtualViews(view_transforms=[], magnitude=11)
    with pytest.raises(ValueError, match='pad_val'):
        RealVirtualViews(view_transforms=[], pad_val=(1, 2, 3))
    with pytest.raises(ValueError, match='vrm_increasing'):
        RealVirtualViews(view_transforms=[], policies='strongest')


def test_defaults_are_rand_augment_2_at_10_without_cutout():
    views = RealVirtualViews(view_transforms=[])
    assert views.rand_augment.num_policies == 2
    assert views.rand_augment.magnitude_level == 10
    assert views.rand_augment.total_level == 10
    assert views.rand_augment.magnitude_std == 0
    assert [p['type'] for p in views.rand_augment.policies] == [
        p['type'] for p in VIRTUAL_VIEW_POLICIES['vrm_increasing']]
    assert views.cutout is None


def test_virtual_transforms_replace_rand_augment_and_cutout():
    img = _image((16, 16, 3))
    views = TRANSFORMS.build(dict(
        type='RealVirtualViews', view_transforms=[],
        virtual_transforms=[dict(type='MLKDStrongAugment')]))
    assert views.rand_augment is None and views.cutout is None
    np.random.seed(2)
    random.seed(2)
    real, virtual = views(dict(img=img))['img']
    np.random.seed(2)
    random.seed(2)
    expected = MLKDStrongAugment()(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(real, img)
    np.testing.assert_array_equal(virtual, expected)
    assert not np.array_equal(virtual, img)


@pytest.mark.parametrize('option', [dict(num_ops=2), dict(cutout_shape=8),
                                    dict(magnitude=5)])
def test_virtual_transforms_with_rand_augment_options_is_an_error(option):
    with pytest.raises(ValueError, match=f'virtual_transforms and '
                       f"\\['{next(iter(option))}'\\].*one or the other"):
        RealVirtualViews(view_transforms=[], **option,
                         virtual_transforms=[dict(type='MLKDStrongAugment')])
