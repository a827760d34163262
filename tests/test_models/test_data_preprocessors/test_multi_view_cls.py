"""MultiViewClsDataPreprocessor: ClsDataPreprocessor per view."""
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from vrm_mm.models.data_preprocessors import MultiViewClsDataPreprocessor
from vrm_mm.registry import MODELS

MEAN = [0.5071 * 255, 0.4867 * 255, 0.4408 * 255]
STD = [0.2675 * 255, 0.2565 * 255, 0.2761 * 255]


def _samples(num_views, batch=3, size=4, seed=0):
    """Packed samples as PackInputs gives them: uint8 C x H x W per view."""
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for label in range(batch):
        views = [
            torch.randint(0, 256, (3, size, size), generator=gen,
                          dtype=torch.uint8) for _ in range(num_views)
        ]
        samples.append(dict(
            inputs=views if num_views > 1 else views[0],
            data_samples=DataSample().set_gt_label(label)))
    return samples


def _expected(uint8_view, to_rgb=False):
    x = uint8_view.double()
    if to_rgb:
        x = x.flip(-3)
    mean = torch.tensor(MEAN, dtype=torch.float64).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(3, 1, 1)
    return ((x - mean) / std).float()


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
@pytest.mark.parametrize('to_rgb', [False, True])
def test_two_views_are_normalised_each(collate, to_rgb):
    samples = _samples(num_views=2)
    pre = MultiViewClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=to_rgb)
    out = pre(collate(samples))
    real, virtual = out['inputs']
    for index, view in enumerate((real, virtual)):
        assert view.shape == (3, 3, 4, 4) and view.dtype == torch.float32
        want = torch.stack(
            [_expected(s['inputs'][index], to_rgb) for s in samples])
        torch.testing.assert_close(view, want)
    labels = [int(s.gt_label) for s in out['data_samples']]
    assert labels == [0, 1, 2]


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_single_view_matches_cls_data_preprocessor(collate):
    samples = _samples(num_views=1)
    ours = MultiViewClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    theirs = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    out = ours(collate(samples))
    ref = theirs(collate(samples))
    assert isinstance(out['inputs'], torch.Tensor)
    torch.testing.assert_close(out['inputs'], ref['inputs'])
    torch.testing.assert_close(
        out['inputs'], torch.stack([_expected(s['inputs'], True)
                                    for s in samples]))


def test_one_channel_views():
    gen = torch.Generator().manual_seed(1)
    samples = [
        dict(inputs=[torch.randint(0, 256, (1, 28, 28), generator=gen,
                                   dtype=torch.uint8) for _ in range(2)],
             data_samples=DataSample().set_gt_label(i)) for i in range(2)
    ]
    pre = MultiViewClsDataPreprocessor(mean=[72.93], std=[90.015])
    real, virtual = pre(default_collate(samples))['inputs']
    assert real.shape == virtual.shape == (2, 1, 28, 28)
    torch.testing.assert_close(
        virtual[1], (samples[1]['inputs'][1].float() - 72.93) / 90.015)


def test_pad_size_divisor_pads_every_view():
    samples = _samples(num_views=2, size=5)
    pre = MultiViewClsDataPreprocessor(
        mean=MEAN, std=STD, pad_size_divisor=4, pad_value=0)
    for view in pre(default_collate(samples))['inputs']:
        assert view.shape == (3, 3, 8, 8)
        assert torch.all(view[..., 5:, :] == 0)


def test_pseudo_collate_pads_views_of_different_size():
    samples = _samples(num_views=2)
    for sample in samples:
        sample['inputs'][1] = sample['inputs'][1][:, :3, :2]
    real, virtual = MultiViewClsDataPreprocessor()(
        pseudo_collate(samples))['inputs']
    assert real.shape == virtual.shape == (3, 3, 4, 4)
    assert torch.all(virtual[..., 3:, :] == 0)
    assert torch.all(virtual[..., :, 2:] == 0)


def test_batch_augment_draws_once_for_all_views():
    samples = _samples(num_views=2)
    for sample in samples:  # virtual view = real view
        sample['inputs'][1] = sample['inputs'][0].clone()
    pre = MultiViewClsDataPreprocessor(
        mean=MEAN, std=STD, num_classes=3,
        batch_augments=dict(augments=dict(type='CutMix', alpha=1.0)))
    np.random.seed(0)
    torch.manual_seed(0)
    out = pre(default_collate(samples), training=True)
    real, virtual = out['inputs']
    unmixed = torch.stack([_expected(s['inputs'][0]) for s in samples])
    assert not torch.equal(real, unmixed)  # the draw did mix the batch
    torch.testing.assert_close(real, virtual)
    scores = torch.stack([s.gt_score for s in out['data_samples']])
    torch.testing.assert_close(scores.sum(1), torch.ones(3))


def test_single_view_batch_augment_matches_cls_data_preprocessor():
    samples = _samples(num_views=1)
    cfg = dict(mean=MEAN, std=STD, num_classes=3,
               batch_augments=dict(augments=dict(type='Mixup', alpha=1.0)))
    outs = []
    for pre in (MultiViewClsDataPreprocessor(**cfg),
                ClsDataPreprocessor(**cfg)):
        np.random.seed(0)
        torch.manual_seed(0)
        outs.append(pre(default_collate(samples), training=True))
    torch.testing.assert_close(outs[0]['inputs'], outs[1]['inputs'])
    for ours, theirs in zip(outs[0]['data_samples'],
                            outs[1]['data_samples']):
        torch.testing.assert_close(ours.gt_score, theirs.gt_score)


def test_built_from_registry():
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor',
                            mean=MEAN, std=STD))
    assert isinstance(pre, MultiViewClsDataPreprocessor)


def test_bad_inputs_have_clear_errors():
    pre = MultiViewClsDataPreprocessor()
    with pytest.raises(TypeError, match='PackInputs'):
        pre(dict(inputs='not an image', data_samples=None))
    with pytest.raises(TypeError, match='views'):
        pre(dict(inputs=[1, 2], data_samples=None))
    uneven = [torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
              torch.zeros(3, 3, 4, 4, dtype=torch.uint8)]
    with pytest.raises(ValueError, match='same batch size'):
        pre(dict(inputs=uneven, data_samples=None))
    shapes = [torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
              torch.zeros(2, 3, 5, 5, dtype=torch.uint8)]
    with pytest.raises(ValueError, match='pseudo_collate'):
        pre(dict(inputs=shapes, data_samples=None))
