"""Every method of the accuracy benchmark is its config on the benchmark's
data set, schedule and networks, and trains one iteration.

``benchmarks/accuracy_methods.py`` builds each method from its config
(``configs/baselines/...``, ``configs/vrm/...``); these tests hold it to
that: the losses, connectors and CE weight equal the config's, the
replaced parts are the benchmark's, and a broken entry shows here rather
than inside a half-hour benchmark part.
"""
import ast
import copy
import functools
import os.path as osp

import accuracy_methods as am
import pytest
import torch
from accuracy_methods import (
    ABLATIONS,
    MAIN_TABLE,
    METHODS,
    STUDENT_CONFIG,
    TEACHER_MODEL,
)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from tiny_config_helpers import save_teacher, tiny_loader, train_step

from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

PAIR = 'resnet56_resnet20_240e_cifar100'
LS_PAIR = 'resnet32x4_resnet8x4_240e_cifar100'
BASELINES = ('kd', 'dkd', 'dist', 'rkd', 'sp', 'pkt', 'cc', 'mlkd', 'ctkd',
             'reviewkd', 'fitnet', 'at', 'crd')
# the config each method is built from (repository paths)
SOURCES = {
    **{m: f'configs/baselines/{m}/{m}_{PAIR}.py' for m in BASELINES},
    **{f'{m}_ls': f'configs/baselines/{m}/{m}_ls_{LS_PAIR}.py'
       for m in ('kd', 'dkd', 'mlkd', 'ctkd')},
    'kd_two_views': f'configs/baselines/kd/kd_{PAIR}.py',
    'vrm': f'configs/vrm/vrm_{PAIR}.py',
    **{m: f'configs/vrm/ablations/{m}_{PAIR}.py' for m in (
        'vrm_no_virtual_view', 'vrm_no_ic_graph', 'vrm_no_redundant_pruning',
        'vrm_uep_none', 'vrm_uep_entropy_sum')},
    **{m: f'configs/vrm/vrm_{PAIR}.py' for m in (
        'vrm_uep_ratio_0.3', 'vrm_virtual_ce', 'vrm_magnitude_5',
        'vrm_warmup_2', 'vrm_mlkd_view')},
}
# a variant's one change to its config's losses
LOSS_CHANGES = {
    'vrm_uep_ratio_0.3': {'loss_vrm': dict(uep_ratio=0.3)},
    'vrm_virtual_ce': {'loss_vrm': dict(virtual_ce_weight=1.0)},
}
# the protocol: 5,000 training images, batch 64, drop_last: 78 per epoch
IMAGES, BATCH, PER_EPOCH, EPOCHS = 5000, 64, 78, 8


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory) -> str:
    teacher = Config.fromfile(TEACHER_MODEL).model.to_dict()
    teacher.pop('data_preprocessor', None)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    return save_teacher(teacher, str(path))


@functools.cache
def _build(method: str, ckpt: str, epochs: int) -> Config:
    protocol = Config.fromfile(STUDENT_CONFIG)
    protocol.train_cfg.max_epochs = protocol.param_scheduler.T_max = epochs
    return METHODS[method](protocol, ckpt)


def build(method: str, ckpt: str = 'teacher.pth',
          epochs: int = EPOCHS) -> Config:
    """``method``'s run config (``epochs`` of the protocol)."""
    return copy.deepcopy(_build(method, ckpt, epochs))


@functools.cache
def _source(method: str) -> Config:
    return Config.fromfile(osp.join(REPO, SOURCES[method]))


def source(method: str) -> Config:
    """The config ``method`` is built from, read here."""
    return copy.deepcopy(_source(method))


def bases(path: str) -> set:
    """Every file ``path`` inherits, transitively (repository paths)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            names = ast.literal_eval(node.value)
            for name in [names] if isinstance(names, str) else names:
                base = osp.normpath(osp.join(osp.dirname(path), name))
                found |= {osp.relpath(base, REPO)} | bases(base)
    return found


def views(cfg: Config) -> dict:
    (step, ) = [t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'RealVirtualViews']
    return step


def test_tables_cover_the_protocol():
    assert set(MAIN_TABLE) == {
        'ce', 'kd', 'kd_ls', 'kd_two_views', 'dkd', 'dkd_ls', 'dist', 'rkd',
        'sp', 'pkt', 'cc', 'mlkd', 'mlkd_ls', 'ctkd', 'ctkd_ls', 'reviewkd',
        'fitnet', 'at', 'crd', 'vrm'}
    assert set(MAIN_TABLE) | set(ABLATIONS) == set(METHODS)
    # docs/benchmarks.md: each part of VRM and every open option is ablated
    assert {'vrm_no_virtual_view', 'vrm_no_ic_graph',
            'vrm_no_redundant_pruning', 'vrm_uep_none',
            'vrm_uep_entropy_sum', 'vrm_uep_ratio_0.3', 'vrm_virtual_ce',
            'vrm_magnitude_5', 'vrm_warmup_2', 'vrm_mlkd_view'} == set(
                ABLATIONS)


@pytest.mark.parametrize('method', [m for m in METHODS if m != 'ce'])
def test_method_is_built_from_its_config(method):
    assert osp.relpath(METHODS[method].source, REPO) == SOURCES[method]
    family = method.split('_')[0]
    assert f'configs/_base_/distillers/{family}.py' in bases(
        osp.join(REPO, SOURCES[method]))


@pytest.mark.parametrize('method', [m for m in METHODS if m != 'ce'])
def test_losses_and_connectors_are_the_configs(method):
    """Every key of every loss (inputs included), the connectors and the
    CE weight equal the config's; only CRD's ``num_data`` follows the
    data (test_crd_...), and a variant changes what its name says."""
    expected = source(method).model.to_dict()
    built = build(method).model.to_dict()
    losses = expected['distill_losses']
    for name, options in LOSS_CHANGES.get(method, {}).items():
        losses[name].update(options)
    if method == 'kd_two_views':
        losses['loss_kd_virtual'] = dict(copy.deepcopy(losses['loss_kd']),
                                         inputs=dict(
            preds_S='student.logits_virtual',
            preds_T='teacher.logits_virtual'))
    for loss in (*losses.values(), *built['distill_losses'].values()):
        loss.pop('num_data', None)
    assert built['distill_losses'] == losses
    # every other distiller key too, but those of the config's networks
    # and data (test_networks_are_the_benchmarks)
    for model in (expected, built):
        for key in (*am.NETWORK_KEYS, 'distill_losses'):
            model.pop(key, None)
    assert built == expected
    assert {'type', 'student_loss_weight'} <= set(built)


@pytest.mark.parametrize('method', list(METHODS))
def test_networks_are_the_benchmarks(method):
    model = build(method, 'teacher.pth').model
    student = Config.fromfile(STUDENT_CONFIG).model.to_dict()
    student.pop('data_preprocessor', None)
    if method == 'ce':
        assert model.to_dict() == student
        return
    teacher = Config.fromfile(TEACHER_MODEL).model.to_dict()
    teacher.pop('data_preprocessor', None)
    assert model.student.to_dict() == student
    assert model.teacher.to_dict() == teacher
    assert model.teacher_ckpt == 'teacher.pth'
    # the benchmark's networks and data: no CIFAR-100 input normalisation
    # or teacher checkpoint setting of the config
    assert set(model) & set(am.NETWORK_KEYS) == {
        'student', 'teacher', 'teacher_ckpt', 'data_preprocessor'}
    assert model.data_preprocessor.mean == [0.2860 * 255]
    assert model.student.backbone.depth == 8
    assert model.teacher.backbone.depth == 20


def _widths(model_cfg: dict, in_channels: int, size: int):
    """Stage output channels and sizes relative to the input, and the
    pooled feature's width."""
    init_default_scope('vrm_mm')
    backbone = MODELS.build(dict(model_cfg['backbone'], out_indices=(0, 1, 2),
                                 in_channels=in_channels))
    with torch.no_grad():
        stages = backbone(torch.zeros(1, in_channels, size, size))
    return ([(s.shape[1], size / s.shape[-1]) for s in stages],
            model_cfg['head']['in_channels'])


@pytest.mark.parametrize('method', ['sp', 'at', 'fitnet', 'reviewkd', 'cc',
                                    'crd', 'rkd', 'pkt'])
def test_the_pairs_features_have_the_configs_widths(method):
    """Feature methods keep their config's connectors and stage taps: the
    benchmark's ResNet20 -> ResNet8 has the channels and strides of the
    config's ResNet56 -> ResNet20 at every stage and pooled feature."""
    pair = source(method).model
    benchmark = build(method).model
    for role in ('student', 'teacher'):
        config_net = load_model_cfg(pair[role].to_dict(), role)
        assert _widths(benchmark[role].to_dict(), 1, 28) == _widths(
            config_net, 3, 32), role


# hand-computed: DKD / ReviewKD ramp over 20 of 240 epochs, CTKD's
# curriculum spans 10 of 240: 20 / 240 * 8 * 78 = 52, 10 / 240 * 8 * 78 = 26
SCALED = {'dkd': ('DistillLossWarmupHook', 'warmup', 52),
          'dkd_ls': ('DistillLossWarmupHook', 'warmup', 52),
          'reviewkd': ('DistillLossWarmupHook', 'warmup', 52),
          'ctkd': ('CTKDCurriculumHook', 'epochs', 26),
          'ctkd_ls': ('CTKDCurriculumHook', 'epochs', 26)}


@pytest.mark.parametrize('method', list(SCALED))
def test_hooks_keep_their_share_of_the_schedule(method):
    kind, key, iterations = SCALED[method]
    for epochs, expected in ((EPOCHS, iterations), (2 * EPOCHS,
                                                    2 * iterations)):
        hooks = build(method, epochs=epochs).custom_hooks
        (hook, ) = [h for h in hooks if h.type == kind]
        assert hook[key] == expected and hook.by_epoch is False
        config_hook = [h for h in source(method).custom_hooks
                       if h.type == kind][0]
        assert {k: v for k, v in hook.items() if k not in (key, 'by_epoch')
                } == {k: v for k, v in config_hook.items()
                      if k not in (key, 'by_epoch')}


@pytest.mark.parametrize('method', [m for m in METHODS if m not in (
    'ce', 'vrm_warmup_2')])
def test_other_hooks_are_the_configs(method):
    types = [h.type for h in build(method).custom_hooks]
    assert types == [h.type for h in source(method).custom_hooks]
    assert 'TeacherEvalHook' in types


def test_hook_scaling_rule_and_its_errors():
    warmup = dict(type='DistillLossWarmupHook', warmup=20, by_epoch=True,
                  loss_names=['loss_dkd'])
    # 20 / 240 * 3 * 10 = 2.5 -> 2 (round half to even); at least 1
    assert am.scaled_hook(warmup, 240, 3, 10) == dict(warmup, warmup=2,
                                                      by_epoch=False)
    assert am.scaled_hook(warmup, 240, 1, 1)['warmup'] == 1
    eval_hook = dict(type='TeacherEvalHook', mode='once')
    assert am.scaled_hook(eval_hook, 240, 8, 78) == eval_hook
    with pytest.raises(ValueError, match='set warmup=<epochs>'):
        am.scaled_hook(dict(warmup, by_epoch=False), 240, 8, 78)
    with pytest.raises(ValueError, match='add the key of its length'):
        am.scaled_hook(dict(type='SomeRampHook', length=5, by_epoch=True),
                       240, 8, 78)
    loader = dict(batch_size=BATCH, drop_last=True,
                  dataset=dict(type='ContrastSampleDataset', dataset=dict(
                      indices=range(5000, 5000 + IMAGES))))
    assert am.iterations_per_epoch(loader) == PER_EPOCH
    assert am.iterations_per_epoch(dict(loader, drop_last=False)) == 79


def test_lr_ratio_is_per_image_relative_to_the_shared_recipe():
    def cfg(lr, batch):
        return Config(dict(optim_wrapper=dict(optimizer=dict(lr=lr)),
                           train_dataloader=dict(batch_size=batch)))

    assert am.lr_ratio(cfg(0.05, 64)) == 1.0
    assert am.lr_ratio(cfg(0.025, 64)) == 0.5
    assert am.lr_ratio(cfg(0.1, 128)) == pytest.approx(1.0)  # per image
    assert am.lr_ratio(cfg(0.01, 64)) == pytest.approx(0.2)


@pytest.mark.parametrize('method', [m for m in METHODS if m != 'ce'])
def test_lr_follows_the_configs_ratio_to_the_shared_recipe(method):
    config = source(method)
    # the protocol's 0.05 x (config lr / config batch) / (0.05 / 64)
    expected = 0.05 * (config.optim_wrapper.optimizer.lr /
                       config.train_dataloader.batch_size) / (0.05 / 64)
    assert build(method).optim_wrapper.optimizer.lr == pytest.approx(
        expected)


def test_mlkd_trains_at_half_the_protocols_lr():
    """MLKD's released recipe: lr 0.025 for same-family CIFAR pairs (its
    configs/cifar100/mlkd/*.yaml), half the shared 0.05; so it trains at
    half the protocol's, and no separate `mlkd_lr_0.025` is needed."""
    assert source('mlkd').optim_wrapper.optimizer.lr == 0.025
    assert build('mlkd').optim_wrapper.optimizer.lr == 0.025
    assert 'mlkd_lr_0.025' not in METHODS


@pytest.mark.parametrize('method', list(METHODS))
def test_only_model_data_lr_and_hooks_change(method):
    """Beyond the networks, losses, training pipeline, lr and hooks, every
    method runs the protocol's config (seed, epochs, loaders, evaluator,
    runtime)."""
    def rest(cfg):
        cfg = copy.deepcopy(cfg)
        for key in ('model', 'custom_hooks'):
            cfg.pop(key, None)
        cfg.optim_wrapper.optimizer.pop('lr')
        dataset = list(am.dataset_cfgs(cfg.train_dataloader.dataset))[-1]
        dataset.pop('pipeline')
        cfg.train_dataloader.dataset = dataset
        return cfg.to_dict()

    built = build(method)
    assert rest(built) == rest(Config.fromfile(STUDENT_CONFIG))
    inner = list(am.dataset_cfgs(built.train_dataloader.dataset))[-1]
    assert (inner.type, inner.indices) == ('FashionMNIST',
                                           range(5000, 5000 + IMAGES))


def test_view_options_of_a_method_carry_over():
    cifar = views(Config.fromfile(am.CIFAR_TWO_VIEW_BASE)).to_dict()
    fmnist = views(Config.fromfile(am.TWO_VIEW_BASE)).to_dict()
    method = dict(cifar, magnitude=5,
                  virtual_transforms=[dict(type='MLKDStrongAugment')])
    del method['num_ops']
    merged = am.method_views(method, fmnist)
    assert merged['view_transforms'] == fmnist['view_transforms']  # data's
    assert merged['view_transforms'][0]['crop_size'] == 28
    assert merged['magnitude'] == 5  # the method's
    assert merged['virtual_transforms'] == [dict(type='MLKDStrongAugment')]
    assert 'num_ops' not in merged  # left out by the method
    assert am.method_views(cifar, fmnist) == fmnist


@pytest.mark.parametrize('method', [m for m in METHODS if m != 'ce'])
def test_two_view_methods_get_the_fmnist_two_view_pipeline(method):
    cfg = build(method)
    config = source(method)
    two_views = method == 'kd_two_views' or any(
        t['type'] == 'RealVirtualViews'
        for t in config.train_dataloader.dataset.get('pipeline', []))
    pipeline = list(am.dataset_cfgs(cfg.train_dataloader.dataset))[
        -1].pipeline
    if not two_views:
        assert pipeline == Config.fromfile(STUDENT_CONFIG) \
            .train_dataloader.dataset.pipeline
        assert cfg.model.data_preprocessor.type == 'ClsDataPreprocessor'
        return
    assert cfg.model.data_preprocessor.type == 'MultiViewClsDataPreprocessor'
    fmnist = Config.fromfile(am.TWO_VIEW_BASE).train_pipeline
    assert [t['type'] for t in pipeline] == [t['type'] for t in fmnist]
    if method not in ('vrm_magnitude_5', 'vrm_mlkd_view', 'mlkd',
                      'mlkd_ls'):
        assert pipeline == fmnist


def test_ablations_change_one_thing():
    """Each ablation differs from ``vrm`` exactly where its name says."""
    vrm = build('vrm')
    assert views(vrm).magnitude == 10 and 'virtual_transforms' not in views(
        vrm)
    loss = vrm.model.distill_losses.loss_vrm
    assert loss.inputs.s_virtual == 'student.logits_virtual'

    single = build('vrm_no_virtual_view')
    assert single.train_dataloader.dataset.pipeline[0].type != \
        'RealVirtualViews'
    assert single.model.distill_losses.loss_vrm.inputs.s_virtual == \
        'student.logits'
    assert build('vrm_no_ic_graph').model.distill_losses.loss_vrm.beta == 0
    assert build('vrm_no_redundant_pruning').model.distill_losses.loss_vrm \
        .is_edges == 'upper'
    magnitude = build('vrm_magnitude_5')
    assert views(magnitude).magnitude == 5
    views(magnitude).magnitude = 10
    assert magnitude.pretty_text == vrm.pretty_text
    hooks = build('vrm_warmup_2').custom_hooks
    assert hooks[:-1] == vrm.custom_hooks
    assert hooks[-1] == dict(type='DistillLossWarmupHook', warmup=2,
                             by_epoch=True, loss_names=['loss_vrm'])


def test_vrm_mlkd_view_is_vrm_with_mlkds_strong_view():
    """VRM whose virtual view is MLKD's released strong view (MLKD's
    config: RealVirtualViews(virtual_transforms=[MLKDStrongAugment]));
    fails until the MLKD config sets that view."""
    vrm, mlkd_view = build('vrm'), build('vrm_mlkd_view')
    expected = am.method_views(views(source('mlkd')).to_dict(),
                               views(vrm).to_dict())
    assert views(mlkd_view).to_dict() == expected
    assert expected['virtual_transforms'] == [dict(type='MLKDStrongAugment')]
    views(mlkd_view).clear()
    views(vrm).clear()
    assert mlkd_view.pretty_text == vrm.pretty_text


def test_crd_banks_hold_the_training_subset():
    cfg = build('crd')
    dataset = cfg.train_dataloader.dataset
    config_wrapper = source('crd').train_dataloader.dataset
    assert (dataset.type, dataset.negatives) == (
        config_wrapper.type, config_wrapper.negatives)
    assert config_wrapper.num_negatives == 16384
    assert dataset.num_negatives == 4096  # the subset's cap
    loss = cfg.model.distill_losses.loss_crd
    assert loss.num_data == len(dataset.dataset.indices) == IMAGES


def test_a_missing_config_names_itself(tmp_path):
    method = am.Method(str(tmp_path / 'absent_config.py'))
    with pytest.raises(FileNotFoundError, match='absent_config.py does not'):
        method(Config.fromfile(STUDENT_CONFIG), 'teacher.pth')


def _method_config(method: str, teacher_ckpt: str) -> Config:
    cfg = build(method, teacher_ckpt)
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader'
        cfg[key] = tiny_loader(cfg[key].to_dict())
    return cfg


@pytest.mark.parametrize('method', list(METHODS))
def test_method_trains_one_iteration(method, teacher_ckpt):
    torch.manual_seed(0)
    train_step(_method_config(method, teacher_ckpt))


def test_batch_size_variant_keeps_the_hooks_share_of_training():
    from accuracy_variants import VARIANTS

    # DKD's warm-up, 1/12 of the training: 8 x 156 / 12 = 104 iterations
    # at batch 32, 8 x 39 / 12 = 26 at batch 128; CTKD's 1/24: 13 at 128
    for variant, method, key, expected in (
            ('bs32', 'dkd', 'warmup', 104), ('bs128', 'dkd', 'warmup', 26),
            ('bs128', 'ctkd', 'epochs', 13)):
        cfg = VARIANTS[variant](build(method))
        (hook, ) = [h for h in cfg.custom_hooks if key in h]
        assert hook[key] == expected, (variant, method)
    warmup_2 = VARIANTS['bs32'](build('vrm_warmup_2')).custom_hooks[-1]
    assert (warmup_2.warmup, warmup_2.by_epoch) == (2, True)  # in epochs
