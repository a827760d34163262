"""MLKDStrongAugment against a transcription of the released strong view
(github.com/Jin-Ying/Multi-Level-Logit-Distillation,
mdistiller/dataset/cifar100.py:144-305), on real CIFAR-100 and ImageNet
images of the foolbox wheel."""
import importlib.util
import os
import random

import numpy as np
import pytest
from mmcv.transforms import Compose
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

import vrm_mm.datasets.transforms.mlkd_strong_augment as strong_module
from vrm_mm.datasets import RealVirtualViews
from vrm_mm.datasets.seeded_pipeline import (
    SampleSeededPipeline,
    seed_everything,
    shared_epoch,
)
from vrm_mm.datasets.transforms import MLKDStrongAugment
from vrm_mm.registry import TRANSFORMS

FOOLBOX_DATA = os.path.join(
    list(importlib.util.find_spec('foolbox').submodule_search_locations)[0],
    'data')
GREY_FILL = (125, 123, 114)

# --- the released transform, transcribed: (op, low, high) in its order ---


def _shift(img, coeffs):
    return img.transform(img.size, Image.AFFINE, coeffs)


RELEASED_OPS = [
    ('AutoContrast', lambda img, v: ImageOps.autocontrast(img), 0, 1),
    ('Brightness', lambda img, v: ImageEnhance.Brightness(img).enhance(v),
     0.05, 0.95),
    ('Color', lambda img, v: ImageEnhance.Color(img).enhance(v), 0.05, 0.95),
    ('Contrast', lambda img, v: ImageEnhance.Contrast(img).enhance(v), 0.05,
     0.95),
    ('Equalize', lambda img, v: ImageOps.equalize(img), 0, 1),
    ('Identity', lambda img, v: img, 0, 1),
    ('Posterize', lambda img, v: ImageOps.posterize(img, max(1, int(v))), 4,
     8),
    ('Rotate', lambda img, v: img.rotate(v), -30, 30),
    ('Sharpness', lambda img, v: ImageEnhance.Sharpness(img).enhance(v),
     0.05, 0.95),
    ('ShearX', lambda img, v: _shift(img, (1, v, 0, 0, 1, 0)), -0.3, 0.3),
    ('ShearY', lambda img, v: _shift(img, (1, 0, 0, v, 1, 0)), -0.3, 0.3),
    ('Solarize', lambda img, v: ImageOps.solarize(img, v), 0, 256),
    ('TranslateX', lambda img, v: _shift(img, (1, 0, v * img.size[0], 0, 1,
                                               0)), -0.3, 0.3),
    ('TranslateY', lambda img, v: _shift(img, (1, 0, 0, 0, 1,
                                               v * img.size[1])), -0.3, 0.3),
]


def released_strong(img):
    """RandAugment(2, 10).__call__ of cifar100.py:298-305 with its Cutout
    (lines 242-269), on a PIL RGB image."""
    for _, op, low, high in random.choices(RELEASED_OPS, k=2):
        img = op(img, low + float(high - low) * random.random())
    v = random.random() * 0.5
    if v <= 0:
        return img
    v = v * img.size[0]
    w, h = img.size
    x0 = int(max(0, np.random.uniform(w) - v / 2.))
    y0 = int(max(0, np.random.uniform(h) - v / 2.))
    img = img.copy()
    ImageDraw.Draw(img).rectangle((x0, y0, min(w, x0 + v), min(h, y0 + v)),
                                  GREY_FILL)
    return img


def _real(name):
    return np.asarray(Image.open(os.path.join(FOOLBOX_DATA, name)).convert(
        'RGB'))


def _seed(value):
    random.seed(value)
    np.random.seed(value)


@pytest.mark.parametrize('name,size', [('cifar100_03_51.png', None),
                                       ('imagenet_07_609.jpg', 224)])
def test_equals_the_released_transform_on_real_images(name, size):
    rgb = _real(name)
    if size:
        rgb = np.asarray(Image.fromarray(rgb).resize((size, size)))
    ours = MLKDStrongAugment()
    for seed in range(60):  # 60 x 2 draws from 14 ops: each op is met
        _seed(seed)
        expected = np.asarray(released_strong(Image.fromarray(rgb)))
        _seed(seed)
        got = ours(dict(img=rgb.copy()))['img']
        np.testing.assert_array_equal(got, expected, err_msg=str(seed))
        # BGR in, BGR out: the same image
        _seed(seed)
        got = MLKDStrongAugment(channel_order='bgr')(
            dict(img=np.ascontiguousarray(rgb[..., ::-1])))['img']
        np.testing.assert_array_equal(got[..., ::-1], expected)


def test_op_set_and_ranges_are_the_released_ones():
    assert [(name, low, high) for name, _, low, high in
            strong_module.MLKD_STRONG_OPS] == [
                (name, low, high) for name, _, low, high in RELEASED_OPS]


def test_two_ops_always_applied_with_uniform_magnitudes(monkeypatch):
    seen = {name: [] for name, *_ in RELEASED_OPS}
    counts = []

    def recorder(name):
        def op(img, v):
            seen[name].append(v)
            counts[-1] += 1
            return img
        return op

    monkeypatch.setattr(strong_module, 'MLKD_STRONG_OPS', tuple(
        (name, recorder(name), low, high)
        for name, _, low, high in RELEASED_OPS))
    transform = MLKDStrongAugment(cutout_max=0.0)
    img = _real('cifar100_00_49.png')
    _seed(0)
    for _ in range(1400):
        counts.append(0)
        transform(dict(img=img))
    assert set(counts) == {2}
    for name, _, low, high in RELEASED_OPS:
        values = np.array(seen[name])
        assert 150 < len(values) < 250, name  # 2800 draws / 14 ops = 200
        assert values.min() >= low and values.max() <= high, name
        # uniform over the whole range: its quarters are all visited
        quarters = np.floor((values - low) / (high - low) * 4)
        assert set(quarters) == {0, 1, 2, 3}, name


@pytest.mark.parametrize('channel_order,fill', [('rgb', GREY_FILL),
                                                ('bgr', GREY_FILL[::-1])])
def test_cutout_side_range_and_fill(channel_order, fill):
    img = np.full((32, 32, 3), 7, dtype=np.uint8)
    transform = MLKDStrongAugment(num_ops=0, channel_order=channel_order)
    sides = []
    _seed(1)
    for _ in range(300):
        out = transform(dict(img=img.copy()))['img']
        filled = np.all(out == fill, axis=2)
        assert np.all(out[~filled] == 7)
        if filled.any():
            rows, cols = np.nonzero(filled)
            sides.append(max(rows.max() - rows.min(),
                             cols.max() - cols.min()) + 1)
    # side U(0, 16) px, PIL's rectangle includes both corners
    assert max(sides) <= 17 and min(sides) <= 2
    assert max(sides) >= 15
    assert len(sides) > 250


def test_grey_images_keep_their_shape():
    grey = _real('cifar100_03_51.png')[..., 0]
    for shape in (grey.shape, (*grey.shape, 1)):
        _seed(4)
        out = MLKDStrongAugment()(dict(img=grey.reshape(shape)))['img']
        assert out.shape == shape and out.dtype == np.uint8


def test_identically_seeded_calls_give_the_same_image():
    img = _real('cifar100_01_33.png')
    pipeline = Compose([RealVirtualViews(
        view_transforms=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal')],
        virtual_transforms=[dict(type='MLKDStrongAugment')])])
    epoch = shared_epoch()
    epoch.value = 3
    seeded = SampleSeededPipeline(pipeline, seed=0, epoch=epoch, stream=0)
    first = seeded(dict(img=img, sample_idx=5))['img'][1]
    random.random(), np.random.rand()  # whatever ran in between
    again = seeded(dict(img=img, sample_idx=5))['img'][1]
    other = seeded(dict(img=img, sample_idx=6))['img'][1]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    seed_everything(7)
    a = MLKDStrongAugment()(dict(img=img))['img']
    seed_everything(7)
    np.testing.assert_array_equal(a, MLKDStrongAugment()(dict(img=img))[
        'img'])


def test_registered_and_bad_options_name_the_valid_values():
    assert isinstance(TRANSFORMS.build(dict(type='MLKDStrongAugment')),
                      MLKDStrongAugment)
    with pytest.raises(ValueError, match="'rgb', 'bgr'"):
        MLKDStrongAugment(channel_order='RGB')
    with pytest.raises(ValueError, match='num_ops'):
        MLKDStrongAugment(num_ops=-1)
    with pytest.raises(ValueError, match='cutout_max'):
        MLKDStrongAugment(cutout_max=2)
    with pytest.raises(ValueError, match='fill'):
        MLKDStrongAugment(fill=(1, 2))
    with pytest.raises(ValueError, match='uint8'):
        MLKDStrongAugment()(dict(img=np.zeros((4, 4, 3), np.float32)))
