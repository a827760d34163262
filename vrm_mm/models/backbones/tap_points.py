"""Stage outputs before their last activation (or norm), on request.

RepDistiller's CIFAR networks return, with ``is_feat=True, preact=True``,
each stage's output before its last ReLU; ReviewKD's released code feeds
these to its loss (HobbitLong/RepDistiller, models/*.py;
dvlab-research/ReviewKD, CIFAR-100/train.py line 222). The backbones here
give them as two extra kinds of stage tap besides the stage output itself:

* ``preact_feats``: stage ``i`` before its last activation. Post-activation
  networks (ResNet, VGG, ShuffleNets): the last unit's sum / concat before
  its ReLU. Pre-activation WRN: the stage output through the BN that
  follows it, without the ReLU (RepDistiller's ``preact`` for WRN: the next
  block's ``bn1``, the final ``bn1`` for the last stage). MobileNetV2's
  stages end in a linear 1x1 conv + BN, so their output is already
  pre-activation (RepDistiller's MobileNetV2 ignores ``preact``); its last
  1x1 conv stage gives its BN output.
* ``prenorm_feats`` (WRN only): stage ``i`` before the norm that follows it,
  the residual stream; for the last stage the output before the final BN +
  ReLU, which RepDistiller's ``is_feat=True`` returns for WRN (its ``f3``)
  and its SP and AT read.

A backbone of this package offers them by the :class:`StageTaps` mixin;
mmpretrain's ResNets (``ResNet``, ``ResNet_CIFAR``, ``ResNetV1c/d``, and so
``CIFARResNet``) offer ``preact_feats`` through forward hooks on the last
block's final ReLU (:func:`requesting_taps`). Nothing is computed, hooked
or kept unless a tap is requested.
"""
from contextlib import contextmanager
from typing import Collection, Dict, Iterator, Mapping, Optional, Tuple

import torch.nn.functional as F
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck, ResNet
from torch import Tensor, nn

PREACT = 'preact_feats'
PRENORM = 'prenorm_feats'


class StageTaps:
    """Mixin for backbones that tap their stages before an activation.

    A subclass lists the kinds it offers in ``extra_taps`` and, in its
    ``forward``, passes each candidate tensor to :meth:`_tap` (cheap when
    nothing is requested), computing any extra tensor only where
    :meth:`_wants` it.
    """

    extra_taps: Tuple[str, ...] = ()
    _tap_requests: Mapping[str, Collection[int]] = {}
    _tap_sink: Optional[Dict[str, Tensor]] = None

    def _wants(self, kind: str, stage: int) -> bool:
        return stage in self._tap_requests.get(kind, ())

    def _tap(self, kind: str, stage: int, tensor: Tensor) -> None:
        if self._wants(kind, stage):
            self._tap_sink[f'{kind}.{stage}'] = tensor


def bn_without_update(bn: nn.BatchNorm2d, x: Tensor) -> Tensor:
    """``bn(x)`` as in its current mode, leaving its running statistics
    untouched (momentum 0): the output of a BN that also runs elsewhere."""
    return F.batch_norm(
        x, bn.running_mean, bn.running_var, bn.weight, bn.bias,
        training=bn.training or bn.running_mean is None, momentum=0.0,
        eps=bn.eps)


def _resnet_last_blocks(backbone: nn.Module) -> Optional[list]:
    if not isinstance(backbone, ResNet):
        return None
    blocks = [getattr(backbone, name)[-1] for name in backbone.res_layers]
    if all(isinstance(block, (BasicBlock, Bottleneck))
           and isinstance(block.relu, nn.ReLU) for block in blocks):
        return blocks
    return None


def extra_tap_kinds(backbone: nn.Module) -> Tuple[str, ...]:
    """The kinds of stage tap besides ``feats`` that ``backbone`` offers."""
    if isinstance(backbone, StageTaps):
        return tuple(backbone.extra_taps)
    if _resnet_last_blocks(backbone) is not None:
        return (PREACT, )
    return ()


@contextmanager
def _resnet_preact(blocks: list, stages: Collection[int],
                   sink: Dict[str, Tensor]) -> Iterator[None]:
    # mmpretrain's BasicBlock / Bottleneck end in `out = self.relu(out)`
    # after `out += identity` (the same ReLU module also runs inside the
    # block, earlier): the input of its last call is the pre-activation,
    # as RepDistiller's models/resnet.py `preact = out` before F.relu. The
    # ReLU runs out of place meanwhile, so that input is not overwritten.
    changed, handles = [], []

    def recorder(stage: int):
        def record(module, inputs, output) -> None:
            sink[f'{PREACT}.{stage}'] = inputs[0]
        return record

    try:
        for stage in stages:
            relu = blocks[stage].relu
            changed.append((relu, relu.inplace))
            relu.inplace = False
            handles.append(relu.register_forward_hook(recorder(stage)))
        yield
    finally:
        for handle in handles:
            handle.remove()
        for relu, inplace in changed:
            relu.inplace = inplace


@contextmanager
def requesting_taps(backbone: nn.Module,
                    requests: Mapping[str, Collection[int]]
                    ) -> Iterator[Dict[str, Tensor]]:
    """Meanwhile, each forward of ``backbone`` fills the yielded dict with
    ``'<kind>.<stage>'`` -> tensor for the requested kinds and stages.

    Args:
        backbone: The backbone.
        requests: Kind (``preact_feats``, ``prenorm_feats``) -> stages.

    Raises:
        ValueError: If the backbone does not offer a requested kind, naming
            the backbone and the taps it has.
    """
    requests = {kind: frozenset(stages) for kind, stages in requests.items()
                if stages}
    offered = extra_tap_kinds(backbone)
    missing = sorted(set(requests) - set(offered))
    if missing:
        raise ValueError(
            f'{type(backbone).__name__} has no {" or ".join(missing)} taps; '
            f'it has feats.<i>'
            + ''.join(f', {kind}.<i>' for kind in offered)
            + ' (pre-activation taps: the CIFAR zoo backbones and '
            "mmpretrain's ResNets).")
    sink: Dict[str, Tensor] = {}
    if not requests:
        yield sink
    elif isinstance(backbone, StageTaps):
        backbone._tap_requests, backbone._tap_sink = requests, sink
        try:
            yield sink
        finally:
            del backbone._tap_requests, backbone._tap_sink
    else:
        blocks = _resnet_last_blocks(backbone)
        # a stage it lacks stays out of the dict, for the caller to report
        stages = [stage for stage in requests[PREACT] if stage < len(blocks)]
        with _resnet_preact(blocks, stages, sink):
            yield sink
