"""The teacher runs first, on all views in one batch, exactly."""
import torch
from distill_helpers import (
    build,
    distiller_cfg,
    samples,
    save_teacher,
    tiny_classifier,
)

from vrm_mm.models.distillers.model_outputs import run_classifier


def two_view_kd(ckpt, **overrides):
    """KD on both views, the teacher also giving pooled features."""
    kd = dict(type='KDLoss', temperature=4.0)
    losses = dict(
        loss_kd=dict(kd, inputs=dict(preds_S='student.logits',
                                     preds_T='teacher.logits')),
        loss_kd_virtual=dict(kd, inputs=dict(
            preds_S='student.logits_virtual',
            preds_T='teacher.logits_virtual')),
        loss_rkd=dict(type='RKDLoss', inputs=dict(
            feats_S='student.pre_logits_virtual',
            feats_T='teacher.pre_logits_virtual')))
    return build(distiller_cfg(ckpt, distill_losses=losses, **overrides))


def trained_statistics(model):
    """Non-trivial BatchNorm running statistics (eval mode then uses them).
    """
    torch.manual_seed(1)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(3 * torch.randn(8, 3, 8, 8) + 1, mode='tensor')
    return model.eval()


def test_batched_teacher_equals_one_forward_per_view(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, seed=3)
    distiller = two_view_kd(ckpt)
    trained_statistics(distiller.teacher)
    torch.manual_seed(0)
    views = [torch.randn(4, 3, 8, 8) for _ in range(2)]
    named = distiller._teacher_outputs(views)
    with torch.no_grad():
        for i, suffix in enumerate(('', '_virtual')):
            alone = run_classifier(distiller.teacher, views[i],
                                   {'pre_logits'})
            # exact, not close: checked on CPU (oneDNN) for these kernels
            assert torch.equal(named['teacher.logits' + suffix],
                               alone['logits'])
    assert torch.equal(named['teacher.pre_logits_virtual'],
                       alone['pre_logits'])
    assert not any(v.requires_grad for v in named.values())


def test_resnet56_batched_logits_are_exact(tmp_path):
    """The benchmark's teacher at batch 2 x 16: no kernel changes its
    numerics with the batch size here."""
    cfg = dict(tiny_classifier(num_classes=100))
    cfg['backbone'] = dict(type='CIFARResNet', depth=56)
    cfg['head'] = dict(cfg['head'], in_channels=64)
    teacher = trained_statistics(build(cfg))
    torch.manual_seed(0)
    a, b = torch.randn(16, 3, 32, 32), torch.randn(16, 3, 32, 32)
    with torch.no_grad():
        joint = teacher(torch.cat([a, b]), mode='tensor')
        assert torch.equal(joint[:16], teacher(a, mode='tensor'))
        assert torch.equal(joint[16:], teacher(b, mode='tensor'))


def test_teacher_runs_before_the_student(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, seed=3)
    distiller = two_view_kd(ckpt)
    order = []
    for name in ('student', 'teacher'):
        getattr(distiller, name).backbone.register_forward_hook(
            lambda m, i, o, n=name: order.append((n, i[0].shape[0])))
    torch.manual_seed(0)
    views = [torch.randn(4, 3, 8, 8) for _ in range(2)]
    distiller(views, samples([0, 1, 2, 0]), mode='loss')
    # one teacher pass over both views, then the student per view
    assert order == [('teacher', 8), ('student', 4), ('student', 4)]


def test_views_of_different_sizes_run_apart(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    save_teacher(ckpt, seed=3)
    distiller = two_view_kd(ckpt)
    views = [torch.randn(4, 3, 8, 8), torch.randn(4, 3, 12, 12)]
    named = distiller._teacher_outputs(views)
    with torch.no_grad():
        alone = distiller.teacher(views[1], mode='tensor')
    assert torch.equal(named['teacher.logits_virtual'], alone)
