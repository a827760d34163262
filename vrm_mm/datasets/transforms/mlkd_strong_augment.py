"""MLKD's strong view: FixMatch-style RandAugment, then Cutout, as released.

Released: github.com/Jin-Ying/Multi-Level-Logit-Distillation,
``mdistiller/dataset/cifar100.py`` lines 144-305 (the same code in
``imagenet.py`` lines 95-256), used as ``RandAugment(2, 10)`` after the
strong view's own RandomCrop/RandomResizedCrop + flip (cifar100.py:330-338,
imagenet.py:281-289). The ops are PIL's, called as the released code calls
them, so the same draws give the same image.
"""
import random
from typing import Callable, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from vrm_mm.registry import TRANSFORMS


def _affine(img: Image.Image, coeffs: tuple) -> Image.Image:
    # PIL's defaults as released: nearest neighbour, black outside
    return img.transform(img.size, Image.AFFINE, coeffs)


# (name, op(img, v), low, high) in the released order (cifar100.py:272-289),
# which random.choices indexes; v ~ U(low, high) for every op.
MLKD_STRONG_OPS: Tuple[Tuple[str, Callable, float, float], ...] = (
    ('AutoContrast', lambda img, v: ImageOps.autocontrast(img), 0, 1),
    ('Brightness',
     lambda img, v: ImageEnhance.Brightness(img).enhance(v), 0.05, 0.95),
    ('Color', lambda img, v: ImageEnhance.Color(img).enhance(v), 0.05, 0.95),
    ('Contrast',
     lambda img, v: ImageEnhance.Contrast(img).enhance(v), 0.05, 0.95),
    ('Equalize', lambda img, v: ImageOps.equalize(img), 0, 1),
    ('Identity', lambda img, v: img, 0, 1),
    ('Posterize',
     lambda img, v: ImageOps.posterize(img, max(1, int(v))), 4, 8),
    ('Rotate', lambda img, v: img.rotate(v), -30, 30),
    ('Sharpness',
     lambda img, v: ImageEnhance.Sharpness(img).enhance(v), 0.05, 0.95),
    ('ShearX', lambda img, v: _affine(img, (1, v, 0, 0, 1, 0)), -0.3, 0.3),
    ('ShearY', lambda img, v: _affine(img, (1, 0, 0, v, 1, 0)), -0.3, 0.3),
    ('Solarize', lambda img, v: ImageOps.solarize(img, v), 0, 256),
    ('TranslateX',
     lambda img, v: _affine(img, (1, 0, v * img.size[0], 0, 1, 0)), -0.3,
     0.3),
    ('TranslateY',
     lambda img, v: _affine(img, (1, 0, 0, 0, 1, v * img.size[1])), -0.3,
     0.3),
)
CHANNEL_ORDERS = ('rgb', 'bgr')


def cutout(img: Image.Image, side: float,
           fill: Sequence[int]) -> Image.Image:
    """A ``side`` px square of ``fill`` (cifar100.py:242-269, CutoutAbs).

    As released, the corner is ``max(0, c - side / 2)`` (truncated to an
    int) for a centre ``c`` drawn by ``np.random.uniform(w)``, i.e. with
    ``low=w, high=1``: ``c`` lies in ``(1, w]``, not in ``[0, w)``. PIL
    fills the rectangle with both corners included.
    """
    width, height = img.size
    x0 = np.random.uniform(width)
    y0 = np.random.uniform(height)
    x0 = int(max(0, x0 - side / 2.))
    y0 = int(max(0, y0 - side / 2.))
    box = (x0, y0, min(width, x0 + side), min(height, y0 + side))
    img = img.copy()
    ImageDraw.Draw(img).rectangle(box, tuple(fill))
    return img


@TRANSFORMS.register_module()
class MLKDStrongAugment(BaseTransform):
    """MLKD's strong augmentation (FixMatch's RandAugment + Cutout).

    ``num_ops`` ops drawn with replacement from :data:`MLKD_STRONG_OPS`
    (``random.choices``), each always applied at a magnitude drawn
    uniformly in its range (``random.random``), then Cutout: a square of
    side ``U(0, cutout_max) x width`` filled with ``fill``, its position
    drawn from numpy (see :func:`cutout`). Randomness comes from python's
    and numpy's global generators, the two that the per-sample seeding
    (``vrm_mm/datasets/seeded_pipeline.py``) and mmengine's worker seeding
    reset, so a sample's view does not depend on the data loader worker.

    Images are uint8 H x W x 3 (``channel_order`` says which) or grey
    (H x W or H x W x 1: the ops run on three equal channels and the first
    comes back, where Color is a no-op and Cutout fills ``fill[0]``).

    Example (MLKD's CIFAR-100 views, configs/baselines/mlkd/)::

        dict(type='RealVirtualViews',
             view_transforms=[
                 dict(type='RandomCrop', crop_size=32, padding=4),
                 dict(type='RandomFlip', prob=0.5, direction='horizontal')],
             virtual_transforms=[dict(type='MLKDStrongAugment')])

    Args:
        num_ops: Ops per image. Defaults to 2 (``RandAugment(2, 10)``; the
            released class ignores its magnitude 10).
        cutout_max: Largest Cutout side as a share of the width. Defaults
            to 0.5 (``random.random() * 0.5``, cifar100.py:303).
        fill: Cutout colour, RGB. Defaults to (125, 123, 114)
            (cifar100.py:265).
        channel_order: ``'rgb'`` (the CIFAR-100 pickles) or ``'bgr'``
            (``LoadImageFromFile``). Color, Contrast and the fill depend
            on it.
    """

    def __init__(self,
                 num_ops: int = 2,
                 cutout_max: float = 0.5,
                 fill: Sequence[int] = (125, 123, 114),
                 channel_order: str = 'rgb') -> None:
        if isinstance(num_ops, bool) or not isinstance(
                num_ops, int) or num_ops < 0:
            raise ValueError(f'num_ops must be an int >= 0, got {num_ops!r}.')
        if not 0 <= cutout_max <= 1:
            raise ValueError('cutout_max is a share of the image width, in '
                             f'[0, 1]; got {cutout_max!r}.')
        if len(fill) != 3 or not all(
                isinstance(c, int) and 0 <= c <= 255 for c in fill):
            raise ValueError('fill must be three grey levels (R, G, B) in '
                             f'[0, 255], got {fill!r}.')
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'channel_order must be one of {CHANNEL_ORDERS},'
                             f' got {channel_order!r}.')
        self.num_ops = num_ops
        self.cutout_max = cutout_max
        self.fill = tuple(fill)
        self.channel_order = channel_order

    def augment(self, img: Image.Image) -> Image.Image:
        """The released ``RandAugment.__call__`` on an RGB PIL image."""
        for _, op, low, high in random.choices(MLKD_STRONG_OPS,
                                               k=self.num_ops):
            img = op(img, low + float(high - low) * random.random())
        side = random.random() * self.cutout_max
        if side <= 0:
            return img
        return cutout(img, side * img.size[0], self.fill)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8:
            raise ValueError('MLKDStrongAugment works on uint8 images (PIL '
                             f'ops), got {img.dtype}: put it before any '
                             'normalisation.')
        grey = img.ndim == 2 or img.shape[2] == 1
        if grey:
            rgb = np.repeat(img.reshape(*img.shape[:2], 1), 3, axis=2)
        else:
            rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        out = np.asarray(self.augment(Image.fromarray(
            np.ascontiguousarray(rgb))))
        if grey:
            out = out[..., 0].reshape(img.shape)
        elif self.channel_order == 'bgr':
            out = out[..., ::-1]
        results['img'] = np.ascontiguousarray(out)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_ops={self.num_ops}, '
                f'cutout_max={self.cutout_max}, fill={self.fill}, '
                f'channel_order={self.channel_order!r})')
