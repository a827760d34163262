"""all_gather_with_grad: a VRM graph over two CPU ranks (gloo) equals the
single-process graph over the concatenated batch, in value and, after DDP's
gradient averaging, in the parameter gradient."""

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from vrm_mm.models.losses.vrm import vrm_loss
from vrm_mm.utils.distributed import all_gather_with_grad

WORLD = 2
KWARGS = dict(uep_ratio=0.2, is_edges='cross')


def batch():
    """A fixed two-view batch of features and a linear student/teacher."""
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 6, 4, generator=gen, dtype=torch.float64)
    weight = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    teacher = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    return feats, weight, teacher


def graph_loss(feats, weight, teacher, gather):
    """Student logits (kept for their gradient) and the VRM loss."""
    s_real, s_virtual = feats[0] @ weight, feats[1] @ weight
    s_real.retain_grad()
    s_virtual.retain_grad()
    views = [s_real, s_virtual, feats[0] @ teacher, feats[1] @ teacher]
    out = vrm_loss(*(gather(x) for x in views), **KWARGS)
    return (s_real, s_virtual), out['loss_vrm_is'] + out['loss_vrm_ic']


def worker(rank, init_file, splits, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=WORLD)
    for rows in splits:
        feats, weight, teacher = batch()
        start = sum(rows[:rank])
        local = feats[:, start:start + rows[rank]]
        weight.requires_grad_(True)
        logits, loss = graph_loss(local, weight, teacher,
                                  all_gather_with_grad)
        loss.backward()
        # what DDP does with parameter gradients
        dist.all_reduce(weight.grad)
        weight.grad /= WORLD
        torch.save(
            dict(loss=loss.detach(), weight_grad=weight.grad,
                 logit_grads=[x.grad for x in logits]),
            f'{out_dir}/{rows[0]}_{rank}.pt')
    dist.destroy_process_group()


@pytest.mark.slow
def test_gathered_graph_matches_single_process(tmp_path):
    feats, weight, teacher = batch()
    weight.requires_grad_(True)
    logits, loss = graph_loss(feats, weight, teacher, lambda x: x)
    loss.backward()

    splits = ([3, 3], [2, 4])  # equal and unequal local batches
    mp.spawn(worker, args=(str(tmp_path / 'init'), splits, str(tmp_path)),
             nprocs=WORLD)
    for rows in splits:
        for rank in range(WORLD):
            got = torch.load(tmp_path / f'{rows[0]}_{rank}.pt')
            torch.testing.assert_close(got['loss'], loss.detach())
            torch.testing.assert_close(got['weight_grad'], weight.grad)
            # each rank's local logits get world x their slice of the
            # single-process gradient; DDP's average divides it back
            start = sum(rows[:rank])
            for local, full in zip(got['logit_grads'], logits):
                torch.testing.assert_close(
                    local, WORLD * full.grad[start:start + rows[rank]])


def test_returns_input_without_process_group():
    x = torch.randn(3, 2, requires_grad=True)
    assert all_gather_with_grad(x) is x
