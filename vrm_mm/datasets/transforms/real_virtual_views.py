"""The real and the virtual view of one image (VRM, step 1)."""
import copy
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets.transforms import Cutout, MultiView, RandAugment
from mmpretrain.datasets.transforms.auto_augment import RANDAUG_POLICIES

from vrm_mm.registry import TRANSFORMS

# mmpretrain's 'timm_increasing' ops with one change: Posterize stops at 4
# kept bits. timm's range (4, 0) keeps 0 bits at magnitude 10, which turns
# the image black, so ~6% of the virtual views would carry no content.
VIRTUAL_VIEW_POLICIES = {
    'vrm_increasing': [
        dict(policy, magnitude_range=(8, 4))
        if policy['type'] == 'Posterize' else dict(policy)
        for policy in RANDAUG_POLICIES['timm_increasing']
    ],
}


def _resolve_policies(policies: Union[str, List[dict]]) -> List[dict]:
    if not isinstance(policies, str):
        return [dict(policy) for policy in policies]
    known = {**RANDAUG_POLICIES, **VIRTUAL_VIEW_POLICIES}
    if policies not in known:
        raise ValueError(
            f'Unknown RandAugment policies {policies!r}: use one of '
            f'{sorted(known)} or a list of policy dicts.')
    return copy.deepcopy(known[policies])


@TRANSFORMS.register_module()
class RealVirtualViews(MultiView):
    """Replace ``results['img']`` by ``[real_view, virtual_view]``.

    The real view is ``view_transforms`` applied to the image, exactly the
    ordinary training augmentation; it is drawn first, so under the same
    numpy seed it equals what the single-view pipeline would give. The
    virtual view is an independent draw of ``view_transforms`` followed by
    RandAugment (``num_ops`` ops at ``magnitude`` of ``total_level``) and,
    if ``cutout_shape`` is set, a Cutout square at a random position.
    Randomness comes from numpy's global generator, as in every mmpretrain
    transform, so mmengine's per-worker seeding covers it.

    Images are RGB (or BGR) H x W x 3, or grey. Grey images (H x W or
    H x W x 1) go through RandAugment as three equal channels and come back
    with their own shape: mmpretrain's AutoContrast, Equalize, Contrast and
    ColorTransform need three channels, and on equal channels they act as
    the grey-level operation (saturation becomes a no-op).

    Example:
        >>> train_pipeline = [
        ...     dict(type='RealVirtualViews',
        ...          view_transforms=[
        ...              dict(type='RandomCrop', crop_size=32, padding=4),
        ...              dict(type='RandomFlip', prob=0.5,
        ...                   direction='horizontal')],
        ...          num_ops=2, magnitude=10, cutout_shape=None),
        ...     dict(type='PackInputs'),
        ... ]

    Args:
        view_transforms: transforms (configs or callables) of the real view,
            also the first stage of the virtual view.
        num_ops: RandAugment operations per virtual view; 0: none (the
            virtual view is then an independent draw of
            ``view_transforms``, plus Cutout if set).
        magnitude: RandAugment magnitude level, 0 to ``total_level``.
        total_level: the magnitude scale's maximum.
        magnitude_std: RandAugment magnitude noise (0: fixed magnitude).
        policies: a name in ``VIRTUAL_VIEW_POLICIES`` or mmpretrain's
            ``RANDAUG_POLICIES``, or a list of RandAugment policy dicts.
        cutout_shape: Cutout side in pixels (int or (h, w)); None: no Cutout.
        cutout_prob: probability of applying Cutout.
        pad_val: grey level filling Cutout and the borders of the geometric
            RandAugment ops.
    """

    def __init__(self,
                 view_transforms: Sequence[Union[dict, Callable]],
                 num_ops: int = 2,
                 magnitude: float = 10,
                 total_level: float = 10,
                 magnitude_std: float = 0.,
                 policies: Union[str, List[dict]] = 'vrm_increasing',
                 cutout_shape: Optional[Union[int, tuple]] = None,
                 cutout_prob: float = 1.0,
                 pad_val: int = 128) -> None:
        if isinstance(num_ops, bool) or not isinstance(
                num_ops, int) or num_ops < 0:
            raise ValueError(
                f'num_ops must be an int >= 0 (0: no RandAugment), got '
                f'{num_ops!r}')
        if not isinstance(pad_val, int) or not 0 <= pad_val <= 255:
            raise ValueError(
                f'pad_val must be a grey level in [0, 255], got {pad_val!r}')
        if not 0 <= magnitude <= total_level:
            raise ValueError(
                f'magnitude must lie in [0, total_level={total_level}], '
                f'got {magnitude}')
        self.rand_augment = None if num_ops == 0 else RandAugment(
            policies=_resolve_policies(policies),
            num_policies=num_ops,
            magnitude_level=magnitude,
            magnitude_std=magnitude_std,
            total_level=total_level,
            # a per-channel fill: with a plain int, mmcv's imrotate fills
            # only the first channel (a red or blue border, not grey)
            hparams=dict(pad_val=(pad_val, ) * 3))
        self.cutout = None
        if cutout_shape is not None:
            self.cutout = Cutout(
                shape=cutout_shape, prob=cutout_prob, pad_val=pad_val)
        view = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in view_transforms
        ]
        super().__init__(
            transforms=[view, view + [self._strong_augment]],
            num_views=[1, 1])

    def _strong_augment(self, results: dict) -> dict:
        img = results['img']
        if self.rand_augment is None:
            pass
        elif img.ndim == 2 or img.shape[2] == 1:
            rgb = np.repeat(img.reshape(*img.shape[:2], 1), 3, axis=2)
            rgb = self.rand_augment(dict(results, img=rgb))['img']
            results['img'] = np.ascontiguousarray(
                rgb[..., 0].reshape(img.shape))
        else:
            results = self.rand_augment(results)
        if self.cutout is not None:
            results = self.cutout(results)
        return results
