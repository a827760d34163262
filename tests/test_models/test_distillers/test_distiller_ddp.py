"""A KD distiller under DDP: 2 CPU ranks (gloo), no unused parameters."""
import os.path as osp

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from distill_helpers import WIDTH, build, distiller_cfg, samples, save_teacher
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

WORLD_SIZE = 2


def _train_two_steps(rank: int, tmp_dir: str) -> None:
    dist.init_process_group(
        'gloo', init_method=f'file://{osp.join(tmp_dir, "rendezvous")}',
        rank=rank, world_size=WORLD_SIZE)
    torch.manual_seed(0)  # same initial student on both ranks
    connectors = dict(proj=dict(type='LinearConnector', in_channels=WIDTH,
                                out_channels=WIDTH,
                                input='student.pre_logits'))
    distill_losses = dict(
        loss_kd=dict(type='KDLoss', loss_weight=0.9, inputs=dict(
            preds_S='student.logits', preds_T='teacher.logits')),
        loss_rkd=dict(type='RKDLoss', inputs=dict(
            feats_S='connectors.proj', feats_T='teacher.pre_logits')))
    distiller = build(distiller_cfg(
        osp.join(tmp_dir, 'teacher.pth'), connectors=connectors,
        distill_losses=distill_losses))
    model = MMDistributedDataParallel(
        module=distiller, device_ids=None, find_unused_parameters=False)
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1))
    torch.manual_seed(rank)  # different data per rank
    for _ in range(2):
        data = dict(inputs=torch.rand(4, 3, 8, 8) * 255,
                    data_samples=samples([0, 1, 2, 0]))
        log_vars = model.train_step(data, optim_wrapper)
        assert {'loss', 'loss_cls', 'loss_kd', 'loss_rkd'} <= set(log_vars)
    # parameters only: BatchNorm running statistics are per rank
    state = {key: value.detach()
             for key, value in distiller.named_parameters()}
    state.update({f'teacher.{key}': value
                  for key, value in distiller.teacher.state_dict().items()})
    torch.save(state, osp.join(tmp_dir, f'rank{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_rank_ddp_training(tmp_path):
    save_teacher(str(tmp_path / 'teacher.pth'))
    mp.spawn(_train_two_steps, args=(str(tmp_path), ), nprocs=WORLD_SIZE)
    states = [torch.load(tmp_path / f'rank{rank}.pth')
              for rank in range(WORLD_SIZE)]
    teacher = torch.load(tmp_path / 'teacher.pth')
    initial = build(distiller_cfg(str(tmp_path / 'teacher.pth')))
    for key, value in states[0].items():
        # gradients were averaged: both ranks hold the same weights
        torch.testing.assert_close(value, states[1][key], msg=key)
        if key.startswith('teacher.'):
            # the teacher never moved
            assert torch.equal(value, teacher[key[len('teacher.'):]]), key
    # and the student did train
    assert not torch.equal(states[0]['student.head.fc.weight'],
                           initial.student.head.fc.weight)
