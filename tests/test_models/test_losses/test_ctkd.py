import math
import os.path as osp

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from distill_helpers import build, distiller_cfg, samples, save_teacher
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from vrm_mm.models.losses import (
    CTKDLoss,
    GlobalTemperature,
    InstanceTemperature,
    ctkd_loss,
    reverse_gradient,
)
from vrm_mm.utils.errors import DistillDataError

GLOBAL = dict(type='GlobalTemperature')


def ctkd_reference(preds_S, preds_T, temps):
    """Float64 per-sample T_i^2 KL(p^T || p^S) at T_i, by loops."""
    total = 0.0
    for s_row, t_row, t in zip(preds_S.double().tolist(),
                               preds_T.double().tolist(), temps):
        p = [math.exp(v / t) for v in s_row]
        q = [math.exp(v / t) for v in t_row]
        p, q = [v / sum(p) for v in p], [v / sum(q) for v in q]
        total += t**2 * sum(b * math.log(b / a) for a, b in zip(p, q))
    return total / len(temps)


def test_ctkd_matches_float64_reference_per_sample_temperatures():
    torch.manual_seed(0)
    s, t = (torch.randn(5, 7, dtype=torch.float64) * 3 for _ in range(2))
    temps = [1.0, 2.5, 4.0, 7.0, 15.6]
    loss = ctkd_loss(s, t, torch.tensor(temps, dtype=torch.float64))
    assert abs(loss.item() - ctkd_reference(s, t, temps)) <= 1e-6


def test_ctkd_by_hand_and_zero_for_equal_logits():
    # student uniform over 2, teacher [3/4, 1/4] at T = 1
    teacher = torch.tensor([[math.log(3.0), 0.0]])
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert ctkd_loss(torch.zeros(1, 2), teacher,
                     torch.ones(1)).item() == pytest.approx(kl)
    # T = 2: logits halve, teacher [sqrt3, 1] / (sqrt3 + 1), times T^2 = 4
    q = math.sqrt(3) / (math.sqrt(3) + 1)
    kl2 = q * math.log(2 * q) + (1 - q) * math.log(2 * (1 - q))
    assert ctkd_loss(torch.zeros(1, 2), teacher,
                     torch.full((1, ), 2.0)).item() == pytest.approx(4 * kl2)
    x = torch.randn(3, 4)
    assert ctkd_loss(x, x.clone(), torch.full((3, ), 5.0)).item() == \
        pytest.approx(0.0, abs=1e-7)


def test_gradient_reversal_flips_and_scales_the_temperature_gradient():
    torch.manual_seed(1)
    s, t = torch.randn(4, 5, requires_grad=True), torch.randn(4, 5)
    module = GlobalTemperature()
    # the same temperature without reversal
    raw = module.value.detach().clone().requires_grad_()
    ctkd_loss(s, t, 1 + 20 * torch.sigmoid(raw).expand(4)).backward()
    plain, student_grad = raw.grad.clone(), s.grad.clone()
    s.grad = None
    ctkd_loss(s, t, module(s, t, lambda_=0.3)).backward()
    torch.testing.assert_close(module.value.grad, -0.3 * plain)
    torch.testing.assert_close(s.grad, student_grad)  # student unaffected
    x = torch.ones(2, requires_grad=True)
    reverse_gradient(x, 0.0).sum().backward()
    assert torch.equal(x.grad, torch.zeros(2))  # lambda 0: no gradient


def test_temperatures_start_and_stay_in_range():
    s = torch.randn(3, 4)
    t = GlobalTemperature()(s, s, 1.0)
    assert t.shape == (3, )
    assert t[0].item() == pytest.approx(1 + 20 / (1 + math.exp(-1)))
    inst = InstanceTemperature(num_classes=4, hidden=8)(s * 100, s, 1.0)
    assert inst.shape == (3, ) and torch.all((inst >= 1) & (inst <= 21))


def test_instance_temperature_trains_only_its_mlp_through_the_reversal():
    torch.manual_seed(2)
    s, t = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3)
    module = InstanceTemperature(num_classes=3, hidden=8)
    ctkd_loss(s, t, module(s, t, 1.0)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in module.parameters())
    # the student's gradient is the loss's alone: the MLP input is detached
    s2 = s.detach().clone().requires_grad_()
    ctkd_loss(s2, t, module(s2, t, 1.0).detach()).backward()
    torch.testing.assert_close(s.grad, s2.grad)


def test_module_weight_standardisation_and_statistic():
    torch.manual_seed(3)
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    loss = CTKDLoss(temperature_module=GLOBAL, loss_weight=0.9)
    loss.grl_lambda = 0.5
    out = loss(s, t)
    temp = out['ctkd_temperature']
    torch.testing.assert_close(
        out['loss_ctkd'], 0.9 * ctkd_loss(s, t, temp.expand(4)))
    ls = CTKDLoss(temperature_module=GLOBAL, logit_standardization=True)
    ls.grl_lambda = 0.5
    a, b = ls(s, t)['loss_ctkd'], ls(3 * s + 2, t)['loss_ctkd']
    assert a.item() == pytest.approx(b.item(), rel=1e-5)


def released_normalize(logit):
    """LSKD's ``normalize`` (github.com/sunshangquan/logit-standardization-KD,
    CTKD/distiller_zoo/KD.py lines 7-10), transcribed."""
    return (logit - logit.mean(dim=-1, keepdim=True)) / (
        1e-7 + logit.std(dim=-1, keepdim=True))


def released_lskd_ctkd(y_s, y_t, raw, lambda_):
    """LSKD's CTKD step with Global_T: ``temp = t_start + t_end *
    sigmoid(grl(global_T))`` (CTKD/helper/loops.py lines 133-134, t_start 1,
    t_end 20) and ``DistillKL_logit_stand`` (CTKD/distiller_zoo/KD.py lines
    26-38), transcribed; the reversal is written as a value-preserving
    mix of ``raw`` and its detached copy."""
    reversed_raw = (1 + lambda_) * raw.detach() - lambda_ * raw
    temp = 1 + 20 * torch.sigmoid(reversed_raw)
    kl = torch.nn.KLDivLoss(reduction='batchmean')(
        F.log_softmax(released_normalize(y_s) / temp, dim=1),
        F.softmax(released_normalize(y_t) / temp, dim=1))
    return kl * temp * temp


def test_ctkd_with_logit_standardization_equals_released_in_float64():
    """Value, student gradient and (reversed) temperature gradient."""
    torch.manual_seed(7)
    s = (torch.randn(8, 10, dtype=torch.float64) * 3).requires_grad_()
    t = torch.randn(8, 10, dtype=torch.float64) * 5
    loss = CTKDLoss(temperature_module=dict(type='GlobalTemperature',
                                            init=0.3),
                    loss_weight=1.0, logit_standardization=True).double()
    loss.grl_lambda = 0.7
    out = loss(s, t)['loss_ctkd']
    raw = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    ref = released_lskd_ctkd(s, t, raw, 0.7).sum()
    grad_s, grad_raw = torch.autograd.grad(
        out, [s, loss.temperature.value])
    ref_grad_s, ref_grad_raw = torch.autograd.grad(ref, [s, raw])
    assert abs(out.item() - ref.item()) <= 1e-6
    torch.testing.assert_close(grad_s, ref_grad_s, rtol=0, atol=1e-6)
    torch.testing.assert_close(grad_raw, ref_grad_raw, rtol=0, atol=1e-6)
    assert grad_raw.abs().item() > 1e-4  # the temperature does get one


def test_temperature_module_reads_the_raw_logits_under_standardization():
    # as LSKD's loop: mlp_net(logit_t, logit_s, ...) on the raw logits,
    # the standardisation only inside the KL term
    torch.manual_seed(8)
    s, t = torch.randn(4, 3) * 5 + 2, torch.randn(4, 3) * 5
    loss = CTKDLoss(temperature_module=dict(
        type='InstanceTemperature', num_classes=3, hidden=8),
        logit_standardization=True)
    loss.grl_lambda = 1.0
    out = loss(s, t)
    expected = loss.temperature(s, t, 1.0)
    torch.testing.assert_close(out['ctkd_temperature'],
                               expected.mean().detach())
    torch.testing.assert_close(
        out['loss_ctkd'],
        0.9 * ctkd_loss(released_normalize(s), released_normalize(t),
                        expected), rtol=1e-5, atol=1e-6)


def test_missing_temperature_module_or_hook_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match='temperature_module='):
        CTKDLoss()
    with pytest.raises(ValueError, match='num_classes'):
        InstanceTemperature()
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt)
    distiller = build(distiller_cfg(ckpt, distill_losses=dict(
        loss_ctkd=dict(type='CTKDLoss', temperature_module=GLOBAL,
                       inputs=dict(preds_S='student.logits',
                                   preds_T='teacher.logits')))))
    # the temperature is a distiller parameter: optimised and checkpointed
    assert 'distill_losses.loss_ctkd.temperature.value' in \
        distiller.state_dict()
    assert any(p is distiller.distill_losses.loss_ctkd.temperature.value
               for p in distiller.parameters())
    with pytest.raises(DistillDataError, match='CTKDCurriculumHook'):
        distiller.loss(torch.rand(4, 3, 8, 8), samples([0, 1, 2, 0]))


def _ddp_two_steps(rank: int, tmp_dir: str) -> None:
    dist.init_process_group(
        'gloo', init_method=f'file://{osp.join(tmp_dir, "rendezvous")}',
        rank=rank, world_size=2)
    torch.manual_seed(0)
    distiller = build(distiller_cfg(
        osp.join(tmp_dir, 'teacher.pth'), distill_losses=dict(
            loss_ctkd=dict(type='CTKDLoss', temperature_module=dict(
                type='InstanceTemperature', num_classes=3, hidden=8),
                inputs=dict(preds_S='student.logits',
                            preds_T='teacher.logits')))))
    distiller.distill_losses.loss_ctkd.grl_lambda = 1.0
    model = MMDistributedDataParallel(module=distiller, device_ids=None,
                                      find_unused_parameters=False)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    torch.manual_seed(rank)  # different data per rank
    for _ in range(2):
        model.train_step(dict(inputs=torch.rand(4, 3, 8, 8) * 255,
                              data_samples=samples([0, 1, 2, 0])), optim)
    torch.save({k: v.detach() for k, v in
                distiller.distill_losses.named_parameters()},
               osp.join(tmp_dir, f'rank{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.slow
def test_temperature_gradients_are_averaged_under_ddp(tmp_path):
    save_teacher(str(tmp_path / 'teacher.pth'))
    mp.spawn(_ddp_two_steps, args=(str(tmp_path), ), nprocs=2)
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    torch.manual_seed(0)
    initial = InstanceTemperature(num_classes=3, hidden=8).state_dict()
    for key, value in ranks[0].items():
        torch.testing.assert_close(value, ranks[1][key], msg=key)
    moved = [not torch.equal(ranks[0][f'loss_ctkd.temperature.{k}'], v)
             for k, v in initial.items()]
    assert any(moved)
