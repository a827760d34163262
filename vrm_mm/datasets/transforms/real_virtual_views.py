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


# the RandAugment/Cutout step's options when none is given
STRONG_AUGMENT_DEFAULTS = dict(
    num_ops=2, magnitude=10, total_level=10, magnitude_std=0.,
    policies='vrm_increasing', cutout_shape=None, cutout_prob=1.0,
    pad_val=128)


def _build(transform: Union[dict, Callable]) -> Callable:
    return TRANSFORMS.build(transform) if isinstance(transform,
                                                     dict) else transform


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
    seed it equals what the single-view pipeline would give. The virtual
    view is an independent draw of ``view_transforms`` followed by either
    ``virtual_transforms`` (e.g. MLKD's released strong view,
    ``[dict(type='MLKDStrongAugment')]``) or, by default, RandAugment
    (``num_ops`` ops at ``magnitude`` of ``total_level``) and, if
    ``cutout_shape`` is set, a Cutout square at a random position; the
    options of the two are exclusive. Randomness comes from numpy's (and,
    for MLKDStrongAugment, python's) global generator, which mmengine's
    per-worker seeding and the per-sample seeding
    (``vrm_mm/datasets/seeded_pipeline.py``) reset.

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
            ``view_transforms``, plus Cutout if set). Defaults to 2.
        magnitude: RandAugment magnitude level, 0 to ``total_level``.
            Defaults to 10.
        total_level: the magnitude scale's maximum. Defaults to 10.
        magnitude_std: RandAugment magnitude noise (0: fixed magnitude).
            Defaults to 0.
        policies: a name in ``VIRTUAL_VIEW_POLICIES`` or mmpretrain's
            ``RANDAUG_POLICIES``, or a list of RandAugment policy dicts.
            Defaults to ``'vrm_increasing'``.
        cutout_shape: Cutout side in pixels (int or (h, w)); None: no Cutout.
        cutout_prob: probability of applying Cutout. Defaults to 1.
        pad_val: grey level filling Cutout and the borders of the geometric
            RandAugment ops. Defaults to 128.
        virtual_transforms: transforms (configs or callables) replacing the
            RandAugment/Cutout step; None: that step. Setting it together
            with any option above is an error.
    """

    def __init__(self,
                 view_transforms: Sequence[Union[dict, Callable]],
                 num_ops: Optional[int] = None,
                 magnitude: Optional[float] = None,
                 total_level: Optional[float] = None,
                 magnitude_std: Optional[float] = None,
                 policies: Optional[Union[str, List[dict]]] = None,
                 cutout_shape: Optional[Union[int, tuple]] = None,
                 cutout_prob: Optional[float] = None,
                 pad_val: Optional[int] = None,
                 virtual_transforms: Optional[Sequence[Union[
                     dict, Callable]]] = None) -> None:
        step = dict(num_ops=num_ops, magnitude=magnitude,
                    total_level=total_level, magnitude_std=magnitude_std,
                    policies=policies, cutout_shape=cutout_shape,
                    cutout_prob=cutout_prob, pad_val=pad_val)
        given = sorted(key for key, value in step.items() if value is not None)
        self.rand_augment = self.cutout = None
        view = [_build(t) for t in view_transforms]
        if virtual_transforms is not None:
            if given:
                raise ValueError(
                    f'RealVirtualViews got virtual_transforms and {given}: '
                    'virtual_transforms replaces the RandAugment/Cutout step '
                    'that those options configure. Set one or the other.')
            virtual = [_build(t) for t in virtual_transforms]
        else:
            self._build_strong_augment(**{**STRONG_AUGMENT_DEFAULTS, **{
                key: step[key] for key in given}})
            virtual = [self._strong_augment]
        super().__init__(
            transforms=[view, view + virtual], num_views=[1, 1])

    def _build_strong_augment(self, num_ops: int, magnitude: float,
                              total_level: float, magnitude_std: float,
                              policies: Union[str, List[dict]],
                              cutout_shape: Optional[Union[int, tuple]],
                              cutout_prob: float, pad_val: int) -> None:
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
        if cutout_shape is not None:
            self.cutout = Cutout(
                shape=cutout_shape, prob=cutout_prob, pad_val=pad_val)

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
