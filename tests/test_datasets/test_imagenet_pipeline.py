"""The ImageNet pipelines against torchvision's, on real ImageNet images.

Every published ImageNet number of the KD literature was trained and
evaluated with torchvision's ImageFolder (PIL decoding) and transforms
(mdistiller ``mdistiller/dataset/imagenet.py`` lines 68-90, the ReviewKD
authors' ``ImageNet/imagenet_amp.py`` lines 236-249):

    train: RandomResizedCrop(224), RandomHorizontalFlip(), ToTensor(),
           Normalize(mean, std)
    test:  Resize(256), CenterCrop(224), ToTensor(), Normalize(mean, std)

The configs' pipelines (``configs/_base_/datasets/imagenet_bs64*.py``)
followed by their data preprocessor must give the same tensors. The images
are the ImageNet samples of the foolbox wheel (20 JPEGs, 512 x 512), plus
non-square, upscaled and EXIF-rotated versions of them written here.
"""
import copy
import glob
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import functional as TF

from vrm_mm.registry import MODELS

# foolbox is located, not imported: its import needs packages absent here.
FOOLBOX_DATA = osp.join(
    list(importlib.util.find_spec('foolbox').submodule_search_locations)[0],
    'data')
JPEGS = sorted(glob.glob(osp.join(FOOLBOX_DATA, 'imagenet_*.jpg')))
# float32 rounding of (x / 255 - m) / s against (x - 255 m) / (255 s): the
# uint8 images themselves must be identical (measured: 4.8e-7 at most)
ATOL = 1e-6
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
NORMALIZE = [T.ToTensor(), T.Normalize(MEAN, STD)]


def _torchvision_loader(path: str) -> Image.Image:
    """torchvision.datasets.folder.pil_loader."""
    with open(path, 'rb') as f:
        return Image.open(f).convert('RGB')


@pytest.fixture
def cfg(repo_root):
    return Config.fromfile(
        osp.join(repo_root, 'configs/_base_/datasets/imagenet_bs64.py'))


def _ours(pipeline, preprocessor_cfg, paths, seed=None):
    """The config's pipeline and data preprocessor on ``paths``."""
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        compose = Compose(copy.deepcopy(pipeline))
        preprocessor = MODELS.build(copy.deepcopy(preprocessor_cfg))
    outputs = []
    for path in paths:
        if seed is not None:
            np.random.seed(seed)
        packed = compose(dict(img_path=path))
        batch = dict(inputs=[packed['inputs']],
                     data_samples=[packed['data_samples']])
        outputs.append(preprocessor(batch)['inputs'][0])
    return torch.stack(outputs)


def _reference(transform, paths):
    return torch.stack(
        [transform(_torchvision_loader(path)) for path in paths])


def test_the_foolbox_imagenet_jpegs_are_there():
    assert len(JPEGS) == 20
    assert Image.open(JPEGS[0]).format == 'JPEG'


def test_preprocessor_normalises_as_torchvision(cfg):
    pre = cfg.data_preprocessor
    assert pre.to_rgb  # the pipeline's arrays are BGR
    np.testing.assert_allclose(np.array(pre.mean) / 255, MEAN, atol=1e-6)
    np.testing.assert_allclose(np.array(pre.std) / 255, STD, atol=1e-6)


def test_test_pipeline_equals_torchvision_on_imagenet_jpegs(cfg):
    ours = _ours(cfg.test_pipeline, cfg.data_preprocessor, JPEGS)
    want = _reference(
        T.Compose([T.Resize(256), T.CenterCrop(224), *NORMALIZE]), JPEGS)
    assert ours.shape == want.shape == (20, 3, 224, 224)
    torch.testing.assert_close(ours, want, rtol=0, atol=ATOL)


def _variants(tmp_path):
    """Non-square crops (odd centre-crop offsets), an image smaller than
    the resize (upscaling) and one that is larger; PNG keeps them
    lossless."""
    paths = []
    boxes = [(0, 0, 500, 375), (7, 3, 340, 500), (11, 0, 511, 289),
             (100, 50, 301, 200)]
    for i, (path, box) in enumerate(zip(JPEGS, boxes)):
        out = str(tmp_path / f'variant_{i}.png')
        _torchvision_loader(path).crop(box).save(out)
        paths.append(out)
    out = str(tmp_path / 'upscaled.png')
    _torchvision_loader(JPEGS[5]).resize((700, 640)).save(out)
    paths.append(out)
    return paths


def test_test_pipeline_equals_torchvision_on_other_shapes(cfg, tmp_path):
    paths = _variants(tmp_path)
    ours = _ours(cfg.test_pipeline, cfg.data_preprocessor, paths)
    want = _reference(
        T.Compose([T.Resize(256), T.CenterCrop(224), *NORMALIZE]), paths)
    torch.testing.assert_close(ours, want, rtol=0, atol=ATOL)


def test_exif_orientation_is_ignored_as_torchvision_does(cfg, tmp_path):
    path = str(tmp_path / 'rotated.jpg')
    image = _torchvision_loader(JPEGS[2]).crop((0, 0, 512, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image.save(path, exif=exif, quality=95)
    ours = _ours(cfg.test_pipeline, cfg.data_preprocessor, [path])
    want = _reference(
        T.Compose([T.Resize(256), T.CenterCrop(224), *NORMALIZE]), [path])
    torch.testing.assert_close(ours, want, rtol=0, atol=ATOL)


def test_mmpretrain_default_resizing_differs(cfg):
    """The check can fail: cv2's resizing (mmpretrain's default, no
    antialiasing) is far from torchvision's PIL path."""
    pipeline = copy.deepcopy(cfg.test_pipeline)
    pipeline[1] = dict(type='ResizeEdge', scale=256, edge='short')
    ours = _ours(pipeline, cfg.data_preprocessor, JPEGS)
    want = _reference(
        T.Compose([T.Resize(256), T.CenterCrop(224), *NORMALIZE]), JPEGS)
    assert (ours - want).abs().mean() > 0.02
    assert (ours - want).abs().max() > 0.5


def test_train_crop_equals_torchvision_resized_crop(cfg, tmp_path):
    """RandomResizedCrop: the box it draws, cut and resized to 224 as
    torchvision's ``F.resized_crop`` (what its RandomResizedCrop applies to
    the box drawn by ``get_params``, with the same sampling rule)."""
    load, crop, flip, pack = cfg.train_pipeline
    assert flip == dict(type='RandomFlip', prob=0.5, direction='horizontal')
    assert (crop.scale, crop.get('crop_ratio_range', (0.08, 1.0)),
            crop.get('aspect_ratio_range', (3 / 4, 4 / 3))) == (
                224, (0.08, 1.0), (3 / 4, 4 / 3))
    with DefaultScope.overwrite_default_scope('vrm_mm'):
        draw = Compose([copy.deepcopy(crop)]).transforms[0]
    paths = JPEGS[:6] + _variants(tmp_path)[:2]
    for seed, path in enumerate(paths):
        height, width = np.asarray(_torchvision_loader(path)).shape[:2]
        np.random.seed(seed)
        top, left, h, w = draw.rand_crop_params(
            np.zeros((height, width, 3), np.uint8))
        ours = _ours([load, crop, pack], cfg.data_preprocessor, [path],
                     seed=seed)
        want = T.Compose(NORMALIZE)(TF.resized_crop(
            _torchvision_loader(path), top, left, h, w, [224, 224],
            T.InterpolationMode.BILINEAR))
        torch.testing.assert_close(ours[0], want, rtol=0, atol=ATOL)


def test_two_view_pipeline_crops_and_loads_as_the_plain_one(repo_root, cfg):
    vrm = Config.fromfile(
        osp.join(repo_root, 'configs/_base_/datasets/imagenet_bs64_vrm.py'))
    load, views, _ = vrm.train_pipeline
    assert load == cfg.train_pipeline[0]
    assert views.view_transforms[0] == cfg.train_pipeline[1]
    assert views.view_transforms[1] == cfg.train_pipeline[2]
    assert vrm.test_pipeline == cfg.test_pipeline
