"""Attention transfer (Zagoruyko & Komodakis, ICLR 2017)."""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS

from .utils import at_least_float32, safe_normalize

Stages = Union[Tensor, Sequence[Tensor]]


def attention_map(feats: Tensor, p: float = 2.0) -> Tensor:
    """Spatial attention ``a(F)``: ``B x HW``, each row of unit L2 norm.

    ``a(F) = vec(mean_c |F_c|^p) / ||vec(mean_c |F_c|^p)||_2`` over the
    channels ``c`` of a ``B x C x H x W`` map (an all-zero map stays zero).
    For even ``p`` this is RepDistiller's ``f.pow(p).mean(1)``.
    """
    return safe_normalize(feats.abs().pow(p).mean(1).flatten(1), dim=1)


def _matched(feats_S: Tensor, feats_T: Tensor, resize: bool) -> tuple:
    if feats_S.dim() != 4 or feats_T.dim() != 4:
        raise ValueError(
            f'AT compares feature maps B x C x H x W, got shapes '
            f'{tuple(feats_S.shape)} and {tuple(feats_T.shape)}; read '
            'backbone stages such as `student.feats.1`.')
    if feats_S.shape[0] != feats_T.shape[0]:
        raise ValueError(
            f'AT: student and teacher maps have different batch sizes '
            f'({feats_S.shape[0]} vs {feats_T.shape[0]}); both must be '
            'computed on the same images.')
    size_S, size_T = tuple(feats_S.shape[2:]), tuple(feats_T.shape[2:])
    if size_S == size_T:
        return feats_S, feats_T
    if not resize:
        raise ValueError(
            f'AT compares attention maps position by position, but the '
            f'student map is {size_S[0]} x {size_S[1]} and the teacher map '
            f'{size_T[0]} x {size_T[1]}; read stages of equal spatial size, '
            'or set `resize=True` to average-pool the larger map to the '
            "smaller's size (RepDistiller's and mdistiller's behaviour).")
    size = (min(size_S[0], size_T[0]), min(size_S[1], size_T[1]))
    return (F.adaptive_avg_pool2d(feats_S, size),
            F.adaptive_avg_pool2d(feats_T, size))


def at_loss(feats_S: Tensor,
            feats_T: Tensor,
            p: float = 2.0,
            resize: bool = False) -> Tensor:
    """AT for one stage: match the normalised spatial attention maps.

    With :func:`attention_map` ``a`` (channels reduced by the mean of the
    ``p``-th powers, flattened to ``B x HW``, L2-normalised per sample)::

        L = mean_{b, j} (a(F_S)_bj - a(F_T)_bj)^2

    the mean over the batch and the ``HW`` positions, as RepDistiller's and
    mdistiller's ``(at(f_s) - at(f_t)).pow(2).mean()`` behind the published
    CIFAR-100 numbers (the paper writes the L2 distance of the normalised
    maps, ``||a_S - a_T||_2``, not its square). Channels may differ; the
    spatial sizes must agree, unless ``resize`` pools the larger map to the
    smaller's size by adaptive average pooling first (the released codes'
    handling of unequal sizes). The teacher side gets no gradient.

    The released code (HobbitLong/RepDistiller, distiller_zoo/AT.py,
    ``Attention``; mdistiller's AT.py is the same), summed over the stages
    and weighted by ``-b 1000``::

        if s_H > t_H:
            f_s = F.adaptive_avg_pool2d(f_s, (t_H, t_H))
        elif s_H < t_H:
            f_t = F.adaptive_avg_pool2d(f_t, (s_H, s_H))
        return (self.at(f_s) - self.at(f_t)).pow(2).mean()

        def at(self, f):
            return F.normalize(f.pow(self.p).mean(1).view(f.size(0), -1))

    Args:
        feats_S: Student feature map, ``B x C_S x H x W``.
        feats_T: Teacher feature map, ``B x C_T x H x W``.
        p: Power of the activations. Defaults to 2 (the paper's choice).
        resize: Whether unequal spatial sizes are pooled to the smaller
            one. Defaults to False (an error).

    Returns:
        Scalar loss.

    Raises:
        ValueError: If the inputs are not 4-D, the batch sizes differ, or
            the spatial sizes differ and ``resize`` is False.
    """
    with torch.autocast(device_type=feats_S.device.type, enabled=False):
        feats_S, feats_T = _matched(at_least_float32(feats_S),
                                    at_least_float32(feats_T), resize)
        att_S = attention_map(feats_S, p)
        with torch.no_grad():
            att_T = attention_map(feats_T, p)
    return (att_S - att_T).pow(2).mean()


def _as_list(stages: Stages) -> list:
    return [stages] if isinstance(stages, Tensor) else list(stages)


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer summed over stages, see :func:`at_loss`.

    Example config (RepDistiller's CIFAR-100 setting for ResNet56 ->
    ResNet20: CE 1.0, AT 1000 over the three stages, ``feat[1:-1]``)::

        loss_at=dict(type='ATLoss', loss_weight=1000.0, p=2.0,
                     inputs=dict(feats_S=['student.feats.0',
                                          'student.feats.1',
                                          'student.feats.2'],
                                 feats_T=['teacher.feats.0',
                                          'teacher.feats.1',
                                          'teacher.feats.2']))

    Args:
        loss_weight: Factor applied to the sum over stages. Defaults to
            1000.0 (RepDistiller's scripts/run_cifar_distill.sh ``-b 1000``,
            mdistiller's ``CFG.AT.LOSS.FEAT_WEIGHT``).
        p: Power of the activations. Defaults to 2.0.
        resize: Pool the larger map of a stage pair to the smaller's size.
            Defaults to False (unequal sizes are an error).
    """

    def __init__(self,
                 loss_weight: float = 1000.0,
                 p: float = 2.0,
                 resize: bool = False) -> None:
        super().__init__()
        if p <= 0:
            raise ValueError(f'AT needs a positive power p, got {p}; the '
                             'paper uses p=2.')
        self.loss_weight = loss_weight
        self.p = p
        self.resize = resize

    def forward(self, feats_S: Stages, feats_T: Stages) -> Tensor:
        """Return the weighted sum over stage pairs (at least float32).

        Args:
            feats_S: A student map, or a list of them (one per stage).
            feats_T: The teacher's maps, as many and in the same order.
        """
        feats_S, feats_T = _as_list(feats_S), _as_list(feats_T)
        if len(feats_S) != len(feats_T) or not feats_S:
            raise ValueError(
                f'AT pairs the stages in order, got {len(feats_S)} student '
                f'and {len(feats_T)} teacher maps; list as many names in '
                'feats_S as in feats_T.')
        total = 0.0
        for stage, (feat_S, feat_T) in enumerate(zip(feats_S, feats_T)):
            try:
                total = total + at_loss(feat_S, feat_T, self.p, self.resize)
            except ValueError as error:
                raise ValueError(f'stage pair {stage}: {error}') from error
        return self.loss_weight * total
