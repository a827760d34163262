"""Contrastive representation distillation (Tian et al., ICLR 2020).

CIFAR-100 defaults of the paper and its released code (RepDistiller,
``crd/criterion.py``, ``crd/memory.py``): 128-d embeddings, temperature
0.07, K = 16384 negatives (``ContrastSampleDataset.num_negatives``),
memory momentum 0.5, loss weight 0.8 with CE 1.0 and no KD.
"""
import math

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from vrm_mm.registry import MODELS
from vrm_mm.utils.distributed import all_gather_with_grad

# the released ContrastLoss's eps in the NCE denominators
NCE_EPS = 1e-7


def contrast_scores(anchor: Tensor, rows: Tensor,
                    temperature: float) -> Tensor:
    """``exp(v_i . m_ij / tau)``: ``B x D`` anchors against their ``B x
    (K + 1) x D`` memory rows (column 0 the positive), ``B x (K + 1)``."""
    return torch.exp(torch.bmm(rows, anchor.unsqueeze(2)).squeeze(2) /
                     temperature)


def crd_nce_loss(scores: Tensor, z: float, num_data: int) -> Tensor:
    """CRD's NCE loss for one anchor side (the paper's Eq. 18-19 as its
    released ``ContrastLoss`` computes them).

    With the scores ``s_ij = exp(v_i . m_ij / tau)`` (``j = 0`` the positive
    pair, ``j = 1..K`` the negatives), the normalising constant ``Z``, the
    data set size ``N`` and uniform noise ``P_n = 1 / N``::

        P_ij = s_ij / Z
        h_ij = P_ij / (P_ij + K / N + eps)    P(pair j is from the data)
        L = -1/B sum_i [ log h_i0
                         + sum_{j>=1} log((K / N) / (P_ij + K / N + eps)) ]

    i.e. ``log h`` for the positive and ``log(1 - h)`` for the negatives,
    ``eps = 1e-7``. The paper writes ``h = s / (s + K / N)`` with the scores
    normalised implicitly; the released code estimates ``Z`` once (see
    :func:`normalising_constant`). The released ``ContrastLoss``
    (HobbitLong/RepDistiller, crd/criterion.py), on ``x = s / Z``
    (crd/memory.py, ``ContrastMemory.forward``)::

        Pn = 1 / float(self.n_data)
        P_pos = x.select(1, 0)
        log_D1 = torch.div(P_pos, P_pos.add(m * Pn + eps)).log_()
        P_neg = x.narrow(1, 1, m)
        log_D0 = torch.div(P_neg.clone().fill_(m * Pn),
                           P_neg.add(m * Pn + eps)).log_()
        loss = - (log_D1.sum(0) + log_D0.view(-1, 1).sum(0)) / bsz

    summed over the two anchor sides (``CRDLoss.forward``: ``s_loss +
    t_loss``).

    Args:
        scores: ``B x (K + 1)`` scores, column 0 the positive.
        z: The normalising constant ``Z``.
        num_data: ``N``, the memory bank's rows.

    Returns:
        Scalar loss.
    """
    noise = (scores.shape[1] - 1) / num_data
    probs = scores / z
    log_pos = torch.log(probs[:, 0] / (probs[:, 0] + noise + NCE_EPS))
    log_neg = torch.log(noise / (probs[:, 1:] + noise + NCE_EPS))
    return -(log_pos.sum() + log_neg.sum()) / scores.shape[0]


def normalising_constant(scores: Tensor, num_data: int) -> Tensor:
    """``Z = N * mean(s)``, the released ContrastMemory's Monte-Carlo
    estimate of the partition function over the ``N`` rows, from the first
    batch's ``B x (K + 1)`` scores (kept fixed afterwards)."""
    return scores.detach().mean() * num_data


def momentum_update(memory: Tensor, index: Tensor, emb: Tensor,
                    momentum: float) -> Tensor:
    """The new rows ``normalize(momentum * memory[index] + (1 - momentum)
    * emb)`` of the memory bank (the released ContrastMemory's update)."""
    rows = memory[index] * momentum + emb * (1 - momentum)
    return rows / rows.norm(dim=1, keepdim=True)


def _first_occurrences(index: Tensor) -> Tensor:
    """Positions of each distinct value's first occurrence in ``index``:
    a padded last batch (DefaultSampler's round_up) may repeat a sample
    across ranks, and index_copy_ with repeats is nondeterministic."""
    unique, inverse = torch.unique(index, return_inverse=True)
    positions = torch.arange(len(index), device=index.device)
    first = torch.full_like(unique, len(index))
    return first.scatter_reduce_(0, inverse, positions, 'amin')


def _global_mean(value: Tensor, count: int) -> Tensor:
    """The mean over ranks of per-rank means of ``count`` values each."""
    if not (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1):
        return value
    total = torch.stack([value * count, value.new_tensor(float(count))])
    dist.all_reduce(total)
    return total[0] / total[1]


@MODELS.register_module()
class CRDLoss(nn.Module):
    """CRD: NCE between embeddings of the student's and teacher's pooled
    features and two memory banks of past embeddings, see
    :func:`crd_nce_loss`.

    Both networks' features go through a linear embedding and L2
    normalisation (``embed_S``, ``embed_T``, trained with the student). The
    student's embedding is contrasted with the teacher bank's rows at the
    sample's index (positive) and at its ``contrast_idx`` (K negatives from
    ``ContrastSampleDataset``), the teacher's embedding with the student
    bank's: ``loss = L(student anchor) + L(teacher anchor)``. After the
    loss, in training only, the rows at ``sample_idx`` move towards the
    batch's embeddings (:func:`momentum_update`).

    The banks (``memory_S``, ``memory_T``: ``num_data x feat_dim``, uniform
    in ``+-1 / sqrt(feat_dim / 3)`` as released, drawn from ``seed``) and
    the constants ``z_S``, ``z_T`` (-1 until the first training batch sets
    them) are buffers: they are in the state dict, hence in checkpoints,
    and ``--resume`` continues with them exactly.

    Under DDP every rank must update its banks identically, or they drift
    apart (mmengine's default DDP does not broadcast buffers). When
    ``torch.distributed`` is initialised with more than one rank, the
    update gathers every rank's ``sample_idx`` and embeddings (rank order)
    and applies the same update on every rank (a sample repeated across
    ranks counts once, its first occurrence); ``Z`` is the mean over all
    ranks' first batches. Scores always use the banks from before the
    step's update, as released.

    Example config (ResNet32x4 -> ResNet8x4 on CIFAR-100, whose train
    dataset is wrapped by ``ContrastSampleDataset``)::

        distill_losses=dict(loss_crd=dict(
            type='CRDLoss', in_channels_S=256, in_channels_T=256,
            num_data=50000, loss_weight=0.8,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits',
                        sample_idx='sample_idx',
                        contrast_idx='contrast_idx')))

    Args:
        in_channels_S: The student's feature width (its ``pre_logits``).
        in_channels_T: The teacher's feature width.
        num_data: ``N``, the training set's size (the banks' rows).
        feat_dim: The embedding width. Defaults to 128.
        temperature: ``tau``. Defaults to 0.07.
        momentum: The banks' momentum. Defaults to 0.5.
        loss_weight: Defaults to 0.8 (RepDistiller's ``-b 0.8``).
        seed: Seed of the banks' initial values. Defaults to 0.
    """

    def __init__(self,
                 in_channels_S: int,
                 in_channels_T: int,
                 num_data: int,
                 feat_dim: int = 128,
                 temperature: float = 0.07,
                 momentum: float = 0.5,
                 loss_weight: float = 0.8,
                 seed: int = 0) -> None:
        super().__init__()
        if num_data < 2 or temperature <= 0 or not 0 <= momentum < 1:
            raise ValueError(
                f'CRDLoss needs num_data >= 2 (the train set size), '
                f'temperature > 0 and 0 <= momentum < 1; got num_data='
                f'{num_data}, temperature={temperature}, momentum='
                f'{momentum}. CRD uses 50000, 0.07, 0.5 on CIFAR-100.')
        self.embed_S = nn.Linear(in_channels_S, feat_dim)
        self.embed_T = nn.Linear(in_channels_T, feat_dim)
        self.num_data = num_data
        self.temperature = temperature
        self.momentum = momentum
        self.loss_weight = loss_weight
        generator = torch.Generator().manual_seed(seed)
        bound = 1 / math.sqrt(feat_dim / 3)
        for name in ('memory_S', 'memory_T'):
            bank = torch.rand(num_data, feat_dim, generator=generator)
            self.register_buffer(name, bank * 2 * bound - bound)
        self.register_buffer('z_S', torch.tensor(-1.0))
        self.register_buffer('z_T', torch.tensor(-1.0))

    def forward(self, feats_S: Tensor, feats_T: Tensor, sample_idx: Tensor,
                contrast_idx: Tensor) -> Tensor:
        """Return the weighted CRD loss; in training, update the banks."""
        emb_S = F.normalize(self.embed_S(feats_S.flatten(1)), dim=1)
        emb_T = F.normalize(self.embed_T(feats_T.flatten(1)), dim=1)
        index = self._contrast_index(sample_idx, contrast_idx, len(emb_S))
        scores_S = contrast_scores(emb_S, self.memory_T[index],
                                   self.temperature)
        scores_T = contrast_scores(emb_T, self.memory_S[index],
                                   self.temperature)
        z_S = self._z(self.z_S, scores_S)
        z_T = self._z(self.z_T, scores_T)
        loss = (crd_nce_loss(scores_S, z_S, self.num_data) +
                crd_nce_loss(scores_T, z_T, self.num_data))
        if self.training:
            self._update(sample_idx, emb_S.detach(), emb_T.detach())
        return self.loss_weight * loss

    def _contrast_index(self, sample_idx: Tensor, contrast_idx: Tensor,
                        batch: int) -> Tensor:
        """``B x (K + 1)``: each sample's own index, then its negatives."""
        if sample_idx.shape != (batch, ) or contrast_idx.dim() != 2 or len(
                contrast_idx) != batch:
            raise ValueError(
                f'CRDLoss takes sample_idx of shape ({batch},) and '
                f'contrast_idx of shape ({batch}, K), got '
                f'{tuple(sample_idx.shape)} and {tuple(contrast_idx.shape)};'
                ' wrap the train dataset in ContrastSampleDataset.')
        index = torch.cat([sample_idx[:, None], contrast_idx], 1).long()
        if index.min() < 0 or index.max() >= self.num_data:
            raise ValueError(
                f'CRDLoss: a sample or contrast index is '
                f'{int(index.max())}, but the memory banks have num_data='
                f'{self.num_data} rows; set num_data to the train set\'s '
                'size (len of the ContrastSampleDataset).')
        return index

    def _z(self, constant: Tensor, scores: Tensor) -> float:
        """The fixed ``Z``, estimated on the first training batch."""
        if constant.item() > 0:
            return constant.item()
        estimate = _global_mean(normalising_constant(scores, self.num_data),
                                scores.numel())
        if self.training:
            constant.fill_(estimate)
        return estimate.item()

    @torch.no_grad()
    def _update(self, sample_idx: Tensor, emb_S: Tensor,
                emb_T: Tensor) -> None:
        """The momentum update of every rank's rows, on every rank."""
        index = all_gather_with_grad(sample_idx.long())
        emb_S, emb_T = all_gather_with_grad(emb_S), all_gather_with_grad(emb_T)
        keep = _first_occurrences(index)
        index, emb_S, emb_T = index[keep], emb_S[keep], emb_T[keep]
        for bank, emb in ((self.memory_S, emb_S), (self.memory_T, emb_T)):
            bank.index_copy_(0, index,
                             momentum_update(bank, index, emb, self.momentum))
