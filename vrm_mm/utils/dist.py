"""Gathering tensors across ranks while keeping the local gradient."""

import torch
import torch.distributed as dist
from torch import Tensor


def _is_distributed() -> bool:
    return (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1)


class _AllGatherWithGrad(torch.autograd.Function):
    """Concatenate every rank's rows; backward sums the gradients.

    Every rank computes the same loss ``L`` on the gathered tensor. The
    gradient a rank's local rows receive is the sum over ranks of
    ``dL/d(local rows)``, i.e. ``world_size * dL/dx_local``. DDP then
    averages parameter gradients over ranks, so the update is exactly the
    gradient of ``L`` on the global batch, as in a single process.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        world, rank = dist.get_world_size(), dist.get_rank()
        size = torch.tensor([x.shape[0]], device=x.device)
        sizes = [torch.zeros_like(size) for _ in range(world)]
        dist.all_gather(sizes, size)
        sizes = [int(s.item()) for s in sizes]
        # all_gather needs equal shapes: pad to the largest local batch
        padded = x.new_zeros((max(sizes), *x.shape[1:]))
        padded[:x.shape[0]] = x
        parts = [torch.empty_like(padded) for _ in range(world)]
        dist.all_gather(parts, padded.contiguous())
        ctx.start = sum(sizes[:rank])
        ctx.stop = ctx.start + sizes[rank]
        return torch.cat([p[:n] for p, n in zip(parts, sizes)])

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.start:ctx.stop]


def all_gather_with_grad(x: Tensor) -> Tensor:
    """Rows of ``x`` from all ranks, in rank order, differentiable locally.

    Local batches may differ in size. Without an initialised process group
    of more than one rank, ``x`` is returned unchanged.

    Args:
        x: Local tensor, batch first.

    Returns:
        Tensor: ``cat([x_rank0, x_rank1, ...])``; backward sends to ``x``
        the sum over ranks of the gradient of its slice (see
        :class:`_AllGatherWithGrad` for why this matches DDP).
    """
    if not _is_distributed():
        return x
    return _AllGatherWithGrad.apply(x)
