"""CRD: the NCE loss against a float64 reference written from the formula,
the memory banks' update by hand, their place in the state dict, and the
update over two gloo ranks equal to the single process's."""
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from distill_helpers import build, save_teacher, tiny_classifier
from mmpretrain.structures import DataSample

from vrm_mm.models.losses import CRDLoss, crd_nce_loss
from vrm_mm.utils.errors import DistillDataError

N, K, D = 12, 5, 4  # bank rows, negatives, embedding width


def crd(**options) -> CRDLoss:
    torch.manual_seed(0)
    return CRDLoss(**dict(dict(in_channels_S=6, in_channels_T=3,
                               num_data=N, feat_dim=D), **options))


def batch(size=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats_S = torch.randn(size, 6, generator=gen)
    feats_T = torch.randn(size, 3, generator=gen)
    sample_idx = torch.randperm(N, generator=gen)[:size]
    contrast_idx = torch.randint(N, (size, K), generator=gen)
    return feats_S, feats_T, sample_idx, contrast_idx


def reference(loss, feats_S, feats_T, sample_idx, contrast_idx, z=None):
    """Float64 CRD from the formula with loops (the embeddings, the scores
    against the other network's bank, Z, the NCE terms); returns the loss
    and the two Z."""
    def embed(linear, x):
        out = [sum(linear.weight[d, c].item() * x[c].item()
                   for c in range(len(x))) + linear.bias[d].item()
               for d in range(D)]
        norm = math.sqrt(sum(v * v for v in out))
        return [v / norm for v in out]

    tau = loss.temperature
    total, zs = 0.0, []
    for side, (linear, feats, bank) in enumerate((
            (loss.embed_S, feats_S, loss.memory_T),
            (loss.embed_T, feats_T, loss.memory_S))):
        scores = []
        for i in range(len(feats)):
            anchor = embed(linear, feats[i].double())
            rows = [int(sample_idx[i])] + [int(j) for j in contrast_idx[i]]
            scores.append([
                math.exp(sum(bank[r, d].item() * anchor[d]
                             for d in range(D)) / tau) for r in rows])
        flat = [s for row in scores for s in row]
        zs.append(z[side] if z else N * sum(flat) / len(flat))
        noise = K / N
        for row in scores:
            p = [s / zs[-1] for s in row]
            total -= math.log(p[0] / (p[0] + noise + 1e-7)) / len(scores)
            total -= sum(math.log(noise / (q + noise + 1e-7))
                         for q in p[1:]) / len(scores)
    return loss.loss_weight * total, zs


def test_loss_matches_float64_reference():
    loss = crd().double()
    inputs = batch()
    expected, (z_S, z_T) = reference(loss, *inputs)
    feats_S, feats_T, sample_idx, contrast_idx = inputs
    got = loss(feats_S.double(), feats_T.double(), sample_idx, contrast_idx)
    assert got.item() == pytest.approx(expected, abs=1e-6)
    assert (loss.z_S.item(), loss.z_T.item()) == pytest.approx(
        (z_S, z_T), abs=1e-6)
    # float32 as trained: the scores reach exp(1 / 0.07) ~ 1.6e6
    loss32 = crd()
    assert loss32(*inputs).item() == pytest.approx(expected, rel=1e-5)


def test_z_is_fixed_after_the_first_training_batch():
    loss = crd().double()
    first = batch(seed=0)
    loss(*(x.double() if x.is_floating_point() else x for x in first))
    z = (loss.z_S.item(), loss.z_T.item())
    second = [x.double() if x.is_floating_point() else x
              for x in batch(seed=1)]
    banks = loss.memory_S.clone(), loss.memory_T.clone()
    got = loss(*second)
    assert (loss.z_S.item(), loss.z_T.item()) == z
    # the second batch is scored against the banks before its update
    loss.memory_S.copy_(banks[0])
    loss.memory_T.copy_(banks[1])
    expected, _ = reference(loss, *second, z=z)
    assert got.item() == pytest.approx(expected, abs=1e-6)


def test_nce_by_hand():
    # one sample, K = 1, N = 2: noise K / N = 1/2; Z = 1
    scores = torch.tensor([[1.5, 0.5]], dtype=torch.float64)
    expected = -math.log(1.5 / (1.5 + 0.5 + 1e-7)) - math.log(
        0.5 / (0.5 + 0.5 + 1e-7))
    assert crd_nce_loss(scores, 1.0, 2).item() == pytest.approx(expected,
                                                                abs=1e-12)


def identity_crd(momentum=0.5) -> CRDLoss:
    loss = CRDLoss(2, 2, num_data=3, feat_dim=2, momentum=momentum)
    for embed in (loss.embed_S, loss.embed_T):
        embed.weight.data = torch.eye(2)
        embed.bias.data.zero_()
    loss.memory_S.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    loss.memory_T.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.8, 0.6]]))
    return loss


def test_memory_update_by_hand():
    loss = identity_crd()
    # student embedding (0, 1), teacher's (1, 0); sample 0, negative 2
    loss(torch.tensor([[0.0, 3.0]]), torch.tensor([[2.0, 0.0]]),
         torch.tensor([0]), torch.tensor([[2]]))
    h = 1 / math.sqrt(2)
    # student row 0: 0.5 (1, 0) + 0.5 (0, 1), renormalised
    torch.testing.assert_close(loss.memory_S, torch.tensor(
        [[h, h], [0.0, 1.0], [0.6, 0.8]]))
    # teacher row 0: 0.5 (0, 1) + 0.5 (1, 0), renormalised
    torch.testing.assert_close(loss.memory_T, torch.tensor(
        [[h, h], [1.0, 0.0], [0.8, 0.6]]))


def test_no_update_in_eval_mode_and_z_not_stored():
    loss = identity_crd().eval()
    before = {k: v.clone() for k, v in loss.state_dict().items()}
    loss(torch.tensor([[0.0, 3.0]]), torch.tensor([[2.0, 0.0]]),
         torch.tensor([0]), torch.tensor([[2]]))
    for key, value in loss.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_gradient_reaches_both_embeddings_not_the_banks():
    loss = crd()
    feats_S, feats_T, sample_idx, contrast_idx = batch()
    feats_S.requires_grad_(True)
    loss(feats_S, feats_T, sample_idx, contrast_idx).backward()
    assert feats_S.grad.abs().sum() > 0
    for embed in (loss.embed_S, loss.embed_T):
        assert embed.weight.grad.abs().sum() > 0
    assert not loss.memory_S.requires_grad and not loss.memory_T.requires_grad


def test_banks_init_uniform_in_range_from_seed():
    bound = 1 / math.sqrt(D / 3)
    loss, again, other = crd(), crd(), crd(seed=1)
    for name in ('memory_S', 'memory_T'):
        bank = getattr(loss, name)
        assert bank.shape == (N, D)
        assert bank.abs().max() <= bound and bank.abs().max() > 0.8 * bound
        assert torch.equal(bank, getattr(again, name))
        assert not torch.equal(bank, getattr(other, name))
    assert not torch.equal(loss.memory_S, loss.memory_T)
    assert loss.z_S.item() == loss.z_T.item() == -1


def test_banks_and_z_are_in_the_state_dict_and_restored():
    trained = crd()
    trained(*batch())
    state = trained.state_dict()
    assert {'memory_S', 'memory_T', 'z_S', 'z_T'} <= set(state)
    restored = crd(seed=5)
    restored.load_state_dict(state)
    for key, value in state.items():
        assert torch.equal(restored.state_dict()[key], value), key
    # and it continues as the trained module does
    assert torch.equal(restored(*batch(seed=2)), trained(*batch(seed=2)))
    assert torch.equal(restored.memory_S, trained.memory_S)


def test_repeated_sample_updates_its_row_once():
    loss = identity_crd(momentum=0.0)
    # sample 1 twice (a padded last batch): the first occurrence wins
    loss(torch.tensor([[0.0, 3.0], [3.0, 0.0]]),
         torch.tensor([[3.0, 0.0], [0.0, 3.0]]), torch.tensor([1, 1]),
         torch.tensor([[2], [0]]))
    torch.testing.assert_close(loss.memory_S[1], torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(loss.memory_T[1], torch.tensor([1.0, 0.0]))


def test_errors_name_the_problem_and_fix():
    loss = crd()
    feats_S, feats_T, sample_idx, contrast_idx = batch()
    with pytest.raises(ValueError, match='num_data=12 rows; set num_data'):
        loss(feats_S, feats_T, sample_idx, contrast_idx + N)
    with pytest.raises(ValueError, match=r'contrast_idx of shape \(4, K\)'):
        loss(feats_S, feats_T, sample_idx, contrast_idx[:, 0])
    with pytest.raises(ValueError, match='CRD uses 50000, 0.07, 0.5'):
        crd(momentum=1.0)
    with pytest.raises(ValueError, match='temperature > 0'):
        crd(temperature=0.0)


def crd_distiller(tmp_path):
    teacher = str(tmp_path / 'teacher.pth')
    save_teacher(teacher)
    return build(dict(
        type='SingleTeacherDistiller', student=tiny_classifier(),
        teacher=tiny_classifier(), teacher_ckpt=teacher,
        distill_losses=dict(loss_crd=dict(
            type='CRDLoss', in_channels_S=16, in_channels_T=16,
            num_data=N, feat_dim=D,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits',
                        sample_idx='sample_idx',
                        contrast_idx='contrast_idx'))),
        data_preprocessor=dict(mean=[0.0] * 3, std=[1.0] * 3)))


def test_distiller_trains_crd_and_checkpoints_its_banks(tmp_path):
    model = crd_distiller(tmp_path).train()
    keys = set(model.state_dict())
    assert {f'distill_losses.loss_crd.{name}'
            for name in ('memory_S', 'memory_T', 'z_S', 'z_T')} <= keys
    assert not any(key.startswith('teacher.') for key in keys)
    samples = [
        DataSample(metainfo=dict(sample_idx=i, contrast_idx=torch.arange(
            i + 1, i + 1 + K) % N)).set_gt_label(i % 3) for i in range(3)
    ]
    before = model.distill_losses.loss_crd.memory_S.clone()
    losses = model.loss(torch.randn(3, 3, 8, 8), samples)
    assert set(losses) == {'loss_cls', 'loss_crd'}
    assert torch.isfinite(losses['loss_crd'])
    after = model.distill_losses.loss_crd.memory_S
    assert not torch.equal(after[:3], before[:3])
    assert torch.equal(after[3:], before[3:])


def test_distiller_without_contrast_dataset_names_the_wrapper(tmp_path):
    model = crd_distiller(tmp_path)
    samples = [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(0)
               for i in range(2)]
    with pytest.raises(DistillDataError, match='ContrastSampleDataset'):
        model.loss(torch.randn(2, 3, 8, 8), samples)


WORLD = 2
# the second split repeats sample 3 across the ranks (a padded batch)
SPLITS = ((0, 1, 2, 3), (4, 5), (3, 6, 7, 3))


def worker(rank, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=WORLD)
    loss = crd()
    for step, rows in enumerate(SPLITS):
        inputs = global_batch(rows)
        half = len(rows) // 2
        local = [x[rank * half:(rank + 1) * half] for x in inputs]
        value = loss(*local)
        torch.save(dict(loss=value.detach(), state=loss.state_dict()),
                   f'{out_dir}/{step}_{rank}.pt')
    dist.destroy_process_group()


def global_batch(rows):
    feats_S, feats_T, _, contrast_idx = batch(size=len(rows), seed=len(rows))
    return feats_S, feats_T, torch.tensor(rows), contrast_idx


@pytest.mark.slow
def test_two_ranks_update_the_banks_as_one_process(tmp_path):
    mp.spawn(worker, args=(str(tmp_path / 'init'), str(tmp_path)),
             nprocs=WORLD)
    single = crd()
    for step, rows in enumerate(SPLITS):
        value = single(*global_batch(rows))
        ranks = [torch.load(tmp_path / f'{step}_{rank}.pt')
                 for rank in range(WORLD)]
        for key, expected in single.state_dict().items():
            # identical on both ranks, bit for bit
            assert torch.equal(ranks[0]['state'][key],
                               ranks[1]['state'][key]), (step, key)
            torch.testing.assert_close(ranks[0]['state'][key], expected)
        # DDP averages the ranks' gradients: the mean of their losses is
        # the single process's
        torch.testing.assert_close(
            (ranks[0]['loss'] + ranks[1]['loss']) / 2, value.detach())


# --- parity with the released code, at the base config's settings -------
class ReleasedCRD:
    """A transcription of RepDistiller's CRD (crd/criterion.py: CRDLoss,
    Embed, Normalize, ContrastLoss; crd/memory.py: ContrastMemory) in
    float64, on given embedding weights and initial banks: memory_v1 is the
    student's bank, memory_v2 the teacher's; ``idx`` the positives,
    ``contrast_idx`` the B x (K + 1) rows with the positive first."""

    def __init__(self, loss: CRDLoss) -> None:
        self.loss = loss
        self.memory_v1 = loss.memory_S.clone()
        self.memory_v2 = loss.memory_T.clone()
        self.z_v1 = self.z_v2 = -1.0

    def __call__(self, f_s, f_t, idx, contrast_idx):
        loss = self.loss

        def embed(linear, x):  # Embed: view, linear, x / ||x||_2
            x = linear(x.view(x.shape[0], -1))
            return x.div(x.pow(2).sum(1, keepdim=True).pow(0.5))

        v1, v2 = embed(loss.embed_S, f_s), embed(loss.embed_T, f_t)
        bsz, dim = v1.shape
        k = contrast_idx.shape[1] - 1
        n_data, temp, momentum = (loss.num_data, loss.temperature,
                                  loss.momentum)
        weight_v1 = self.memory_v1[contrast_idx.view(-1)].view(bsz, k + 1,
                                                               dim)
        out_v2 = torch.exp(torch.bmm(weight_v1, v2.view(bsz, dim, 1)) / temp)
        weight_v2 = self.memory_v2[contrast_idx.view(-1)].view(bsz, k + 1,
                                                               dim)
        out_v1 = torch.exp(torch.bmm(weight_v2, v1.view(bsz, dim, 1)) / temp)
        if self.z_v1 < 0:
            self.z_v1 = (out_v1.mean() * n_data).item()
        if self.z_v2 < 0:
            self.z_v2 = (out_v2.mean() * n_data).item()
        out_v1, out_v2 = out_v1 / self.z_v1, out_v2 / self.z_v2
        with torch.no_grad():
            for memory, v in ((self.memory_v1, v1), (self.memory_v2, v2)):
                rows = memory[idx] * momentum + v * (1 - momentum)
                memory.index_copy_(
                    0, idx, rows.div(rows.pow(2).sum(1, keepdim=True).pow(
                        0.5)))

        def contrast_loss(x):  # ContrastLoss, Eq. (18)
            noise = k * (1 / float(n_data))
            p_pos, p_neg = x.select(1, 0), x.narrow(1, 1, k)
            log_d1 = torch.log(p_pos / (p_pos + noise + 1e-7))
            log_d0 = torch.log(torch.full_like(p_neg, noise) /
                               (p_neg + noise + 1e-7))
            return -(log_d1.sum(0) + log_d0.view(-1, 1).sum(0)) / bsz

        return contrast_loss(out_v1) + contrast_loss(out_v2)


def test_crd_equals_the_released_code_over_three_steps():
    import os.path as osp

    from mmengine.config import Config
    root = osp.join(osp.dirname(__file__), '..', '..', '..')
    cfg = Config.fromfile(osp.join(root, 'configs/_base_/distillers/crd.py'))
    loss_cfg = dict(cfg.model.distill_losses.loss_crd, in_channels_S=6,
                    in_channels_T=3, num_data=N)
    loss_cfg.pop('inputs')
    torch.manual_seed(0)
    loss = build(loss_cfg).double()
    assert (loss.temperature, loss.momentum, loss.loss_weight,
            loss.embed_S.out_features) == (0.07, 0.5, 0.8, 128)
    released = ReleasedCRD(loss)
    params = list(loss.parameters())
    for step in range(3):
        feats_S, feats_T, sample_idx, contrast_idx = (
            x.double() if x.is_floating_point() else x
            for x in batch(seed=step))
        feats_S.requires_grad_()
        ours = loss(feats_S, feats_T, sample_idx, contrast_idx)
        grads = torch.autograd.grad(ours, [feats_S] + params)
        expected = 0.8 * released(
            feats_S, feats_T, sample_idx,
            torch.cat([sample_idx[:, None], contrast_idx], 1)).sum()
        released_grads = torch.autograd.grad(expected, [feats_S] + params)
        torch.testing.assert_close(ours, expected, rtol=1e-6, atol=0)
        for a, b in zip(grads, released_grads):
            torch.testing.assert_close(a, b, rtol=1e-6,
                                       atol=1e-6 * b.abs().max().item())
        torch.testing.assert_close(loss.memory_S, released.memory_v1,
                                   rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(loss.memory_T, released.memory_v2,
                                   rtol=1e-12, atol=1e-12)
        assert (loss.z_S.item(), loss.z_T.item()) == pytest.approx(
            (released.z_v1, released.z_v2), rel=1e-12)
