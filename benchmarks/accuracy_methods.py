"""The methods of the accuracy benchmark, each built from its own config.

One source of truth (docs/benchmarks.md sec. 1): every distillation method is
the CIFAR-100 config of its ResNet56 -> ResNet20 pair, read with mmengine's
``Config.fromfile`` (``configs/baselines/<method>/<method>_resnet56_resnet20_
240e_cifar100.py``, ``configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py``;
each inherits ``configs/_base_/distillers/<method>.py``), and only three
things of it are replaced by the benchmark's:

* Data set: the Fashion-MNIST subsets of
  ``benchmarks/configs/fmnist_student_resnet8.py``. A method whose config
  trains on two views (its pipeline has ``RealVirtualViews``) gets the
  two-view pipeline of ``configs/_base_/datasets/fashion_mnist_bs64_vrm.py``;
  the ``RealVirtualViews`` options its config sets differently from the
  CIFAR-100 two-view base (``configs/_base_/datasets/cifar100_bs64_vrm.py``)
  are the method's own (e.g. MLKD's strong view) and carried over. A
  dataset wrapper of the config (CRD's ``ContrastSampleDataset``) wraps the
  Fashion-MNIST subset. What counts the data follows the data: a loss's
  ``num_data`` (CRD's memory-bank rows) is the subset's size, and CRD's K
  is capped at ``MAX_NEGATIVES``, as the subset has too few images for the
  CIFAR-100 K.
* Schedule: the protocol's, the same for every method (``accuracy.py``:
  epochs, batch 64, SGD momentum 0.9 and wd 5e-4 without nesterov, cosine
  lr from 0.05), with the config's lr relative to the shared CIFAR-100
  recipe (``configs/_base_/schedules/cifar100_bs64_240e.py``: 0.05 at
  batch 64), per image of the batch: lr = protocol lr x (config lr /
  config batch) / (0.05 / 64). A method whose released recipe trains at
  half the shared lr (MLKD's 0.025) trains at half the protocol's;
  ReviewKD's script (0.1 at batch 128) at the protocol's. Hooks whose
  length counts epochs of the config's schedule (``HOOK_LENGTHS``: DKD's
  and ReviewKD's warm-ups, CTKD's curriculum) keep the same fraction of the
  training, by ONE rule (``scaled_hook``): ``length / config epochs x
  protocol epochs x iterations per epoch`` iterations, rounded to the
  nearest, at least 1.
  E.g. DKD's 20 of 240 epochs is 1/12 of the protocol's 8 x 78 iterations
  (5,000 images, batch 64, drop_last): 52.
* Models: the student ResNet8 of ``fmnist_student_resnet8.py`` and the
  teacher ResNet20 of ``fmnist_teacher_resnet20.py`` (with the benchmark's
  teacher checkpoint, trained on the benchmark's normalisation) replace
  ResNet20 and ResNet56 and what comes with them (``NETWORK_KEYS``: e.g.
  ReviewKD's ``teacher_norm`` for CIFAR-100 teachers). Both pairs are CIFAR
  ResNets with 16-32-64-channel stages of the same sizes and 64-d pooled
  features, so the pair config's connector widths and the stages it reads
  hold unchanged (tests/test_benchmarks/test_accuracy_methods.py checks the
  widths).

Everything else (loss weights, temperatures, ``student_loss_weight``,
connectors, the other hooks) is the config's. The LS variants build from
the logit-standardisation configs (``configs/baselines/<method>/<method>_
ls_resnet32x4_resnet8x4_240e_cifar100.py``, the ones in the tree, with the
same replacements). VRM's ablations are the ablation configs of
``configs/vrm/ablations/`` where they exist, else the VRM config with the
one option the ablation names changed here (that option is the ablation).
"""
import copy
import functools
import os.path as osp
from typing import Callable, Dict, Optional

from mmengine.config import Config

from vrm_mm.datasets.seeded_pipeline import dataset_cfgs

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
CONFIGS = osp.join(REPO, 'configs')
TWO_VIEW_BASE = osp.join(CONFIGS, '_base_', 'datasets',
                         'fashion_mnist_bs64_vrm.py')
# the data set and schedule the pair configs were written for
CIFAR_TWO_VIEW_BASE = osp.join(CONFIGS, '_base_', 'datasets',
                               'cifar100_bs64_vrm.py')
SHARED_RECIPE = osp.join(CONFIGS, '_base_', 'schedules',
                         'cifar100_bs64_240e.py')
TEACHER_MODEL = osp.join(HERE, 'configs', 'fmnist_teacher_resnet20.py')
STUDENT_CONFIG = osp.join(HERE, 'configs', 'fmnist_student_resnet8.py')

PAIR = 'resnet56_resnet20_240e_cifar100'
LS_PAIR = 'resnet32x4_resnet8x4_240e_cifar100'
VRM_CONFIG = osp.join(CONFIGS, 'vrm', f'vrm_{PAIR}.py')

# CRD's K on the 5k-image subset: each image has at least 4,472 images of
# other classes there (10 classes of about 500), so CRD's CIFAR-100 16,384
# cannot be drawn; 4,096 is the largest power of two below (and K of every
# CRD run of this benchmark so far)
MAX_NEGATIVES = 4096
# hooks whose length counts epochs of the schedule: the key holding it
HOOK_LENGTHS = {'DistillLossWarmupHook': 'warmup',
                'CTKDCurriculumHook': 'epochs'}

# the distiller's keys that belong to the config's networks and data set
# (its teacher checkpoint, the teacher's input normalisation and size, the
# data preprocessor): the benchmark's replace them
NETWORK_KEYS = ('student', 'teacher', 'teacher_ckpt', 'teacher_ckpt_strict',
                'teacher_norm', 'teacher_input_size', 'data_preprocessor')

Edit = Callable[[Config], None]


def baseline(method: str, pair: str = PAIR) -> str:
    """``configs/baselines/<method>/<method>_<pair>.py``."""
    return osp.join(CONFIGS, 'baselines', method.split('_')[0],
                    f'{method}_{pair}.py')


def vrm_ablation(name: str) -> str:
    return osp.join(CONFIGS, 'vrm', 'ablations', f'{name}_{PAIR}.py')


def load_config(path: str) -> Config:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{osp.relpath(path, REPO)} does not exist: the accuracy '
            'benchmark builds this method from it; add the config (see '
            'benchmarks/accuracy_methods.py) or drop the method.')
    return Config.fromfile(path)


@functools.cache
def _fixed(path: str) -> Config:
    """The config at ``path``, one of the benchmark's own or the shared
    bases (read once per process; callers copy what they change)."""
    return Config.fromfile(path)


def _plain(node):
    """A deep copy of a config node as plain dicts and lists."""
    return copy.deepcopy(node.to_dict() if hasattr(node, 'to_dict')
                         else node)


def _short_type(cfg: dict) -> str:
    return str(cfg.get('type', '')).split('.')[-1]


def _views(pipeline) -> Optional[dict]:
    """The ``RealVirtualViews`` step of ``pipeline``, None without one."""
    found = [step for step in pipeline or ()
             if _short_type(step) == 'RealVirtualViews']
    return found[0] if found else None


def _train_views(cfg: Config) -> Optional[dict]:
    """The ``RealVirtualViews`` of ``cfg``'s training set (or of the set
    its wrapper wraps), None for a single-view config."""
    for dataset in dataset_cfgs(cfg.train_dataloader.dataset):
        views = _views(dataset.get('pipeline'))
        if views is not None:
            return views
    return None


def method_views(method_views_cfg: dict, target: dict) -> dict:
    """``target`` (a data set's ``RealVirtualViews``) with the options a
    method's config sets differently from the CIFAR-100 two-view base: a
    key of the method's config equal to the base's is the data set's (the
    view transforms: ``target``'s value), one that differs is the method's
    own (its value), one the method leaves out stays out."""
    cifar = _plain(_views(_fixed(CIFAR_TWO_VIEW_BASE).train_pipeline))
    merged = {}
    for key, value in _plain(method_views_cfg).items():
        dataset_key = key in cifar and value == cifar[key] and key in target
        merged[key] = copy.deepcopy(target[key]) if dataset_key else value
    return merged


def _own_view_options(method_cfg: Config) -> dict:
    """The ``RealVirtualViews`` options ``method_cfg`` sets differently
    from the CIFAR-100 two-view base ({} for none)."""
    cifar = _plain(_views(_fixed(CIFAR_TWO_VIEW_BASE).train_pipeline))
    views = _plain(_train_views(method_cfg) or {})
    return {key: value for key, value in views.items()
            if cifar.get(key, object()) != value}


def iterations_per_epoch(loader) -> int:
    """Training iterations per epoch of ``loader`` (a config dict), from
    the ``indices`` of the data set it reads."""
    inner = list(dataset_cfgs(loader['dataset']))[-1]
    if inner.get('indices') is None:
        raise ValueError(
            'iterations_per_epoch: the training set has no `indices`; the '
            "benchmark's data sets read a range of the training split.")
    size, batch = len(inner['indices']), loader['batch_size']
    return size // batch if loader.get('drop_last') else -(-size // batch)


def scaled_hook(hook: dict, config_epochs: int, epochs: int,
                per_epoch: int) -> dict:
    """``hook`` of a ``config_epochs`` recipe on ``epochs`` epochs of
    ``per_epoch`` iterations: a length of ``HOOK_LENGTHS`` spans the same
    fraction of the training, in iterations (rounded, at least 1); any
    other hook unchanged."""
    key = HOOK_LENGTHS.get(_short_type(hook))
    if key is None:
        if 'by_epoch' in hook:
            raise ValueError(
                f'{hook["type"]} counts a length in epochs or iterations '
                'that the benchmark does not know how to scale: add the key '
                'of its length to HOOK_LENGTHS in '
                'benchmarks/accuracy_methods.py.')
        return dict(hook)
    if key not in hook or not hook.get('by_epoch', True):
        raise ValueError(
            f'{hook["type"]}: the benchmark scales `{key}` given in epochs '
            f'of the config\'s schedule; set {key}=<epochs> and '
            'by_epoch=True in the config.')
    length = round(hook[key] / config_epochs * epochs * per_epoch)
    return dict(hook, **{key: max(1, length)}, by_epoch=False)


def lr_ratio(method_cfg: Config) -> float:
    """The config's lr per image relative to the shared recipe's."""
    shared = _fixed(SHARED_RECIPE)
    shared_lr = (shared.optim_wrapper.optimizer.lr /
                 shared.auto_scale_lr.base_batch_size)
    return (method_cfg.optim_wrapper.optimizer.lr /
            method_cfg.train_dataloader.batch_size) / shared_lr


def use_two_views(cfg: Config, views: Optional[dict] = None) -> None:
    """Train ``cfg`` (a benchmark config) on the Fashion-MNIST two-view
    pipeline, its ``RealVirtualViews`` with a method's ``views`` options
    (see ``method_views``), and the multi-view data preprocessor."""
    two_view = _fixed(TWO_VIEW_BASE)
    pipeline = _plain(two_view.train_pipeline)
    if views is not None:
        index = pipeline.index(_views(pipeline))
        pipeline[index] = method_views(views, pipeline[index])
    inner = list(dataset_cfgs(cfg.train_dataloader.dataset))[-1]
    inner.pipeline = pipeline
    cfg.model.data_preprocessor.type = two_view.data_preprocessor.type


def build(source: str, protocol: Config, teacher_ckpt: str,
          two_views: bool = False) -> Config:
    """The config at ``source`` on the benchmark's data, schedule and
    models (the module docstring); ``protocol`` is the student config of
    the protocol (``accuracy.protocol_config``); ``two_views`` puts a
    single-view method on two views too."""
    method = load_config(source)
    cfg = copy.deepcopy(protocol)
    loader = cfg.train_dataloader

    # models
    student = _plain(cfg.model)
    student.pop('data_preprocessor', None)
    teacher = _plain(_fixed(TEACHER_MODEL).model)
    teacher.pop('data_preprocessor', None)
    model = {key: value for key, value in _plain(method.model).items()
             if key not in NETWORK_KEYS}
    model.update(student=student, teacher=teacher, teacher_ckpt=teacher_ckpt,
                 data_preprocessor=_plain(cfg.data_preprocessor))
    cfg.model = model

    # data set
    views = _train_views(method)
    if views is not None or two_views:
        use_two_views(cfg, views)
    wrappers = list(dataset_cfgs(method.train_dataloader.dataset))[:-1]
    if any('datasets' in wrapper for wrapper in wrappers):
        raise ValueError(
            f'{osp.relpath(source, REPO)}: the benchmark replaces one '
            'training set; a config joining several has no counterpart.')
    dataset = _plain(loader.dataset)
    for wrapper in reversed(wrappers):
        wrapper = {k: _plain(v) for k, v in wrapper.items() if k != 'dataset'}
        if 'num_negatives' in wrapper:
            wrapper['num_negatives'] = min(wrapper['num_negatives'],
                                           MAX_NEGATIVES)
        dataset = dict(wrapper, dataset=dataset)
    loader.dataset = dataset
    num_data = len(list(dataset_cfgs(dataset))[-1]['indices'])
    for loss in cfg.model.get('distill_losses', {}).values():
        if 'num_data' in loss:
            loss.num_data = num_data

    # schedule
    cfg.optim_wrapper.optimizer.lr *= lr_ratio(method)
    per_epoch = iterations_per_epoch(loader)
    cfg.custom_hooks = [
        scaled_hook(_plain(hook), method.train_cfg.max_epochs,
                    cfg.train_cfg.max_epochs, per_epoch)
        for hook in method.get('custom_hooks', [])]
    return cfg


class Method:
    """A method of the benchmark: the config it is built from (None: the
    student alone) and the benchmark's own edits after that (a variant's
    one change). ``method(protocol_cfg, teacher_ckpt)`` gives the run's
    config."""

    def __init__(self, source: Optional[str], *edits: Edit,
                 two_views: bool = False) -> None:
        self.source, self.edits, self.two_views = source, edits, two_views

    def __call__(self, cfg: Config, teacher_ckpt: str) -> Config:
        if self.source is None:
            cfg = copy.deepcopy(cfg)
        else:
            cfg = build(self.source, cfg, teacher_ckpt, self.two_views)
        for edit in self.edits:
            edit(cfg)
        return cfg


def loss_options(name: str, **options) -> Edit:
    """Set ``options`` of the distillation loss ``name``."""
    def edit(cfg: Config) -> None:
        cfg.model.distill_losses[name].update(options)
    return edit


def virtual_view(**options) -> Edit:
    """Set ``options`` of the training pipeline's ``RealVirtualViews``."""
    def edit(cfg: Config) -> None:
        _train_views(cfg).update(options)
    return edit


def add_hook(hook: dict) -> Edit:
    def edit(cfg: Config) -> None:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), hook]
    return edit


def on_virtual_view_too(name: str) -> Edit:
    """The loss ``name`` also on the virtual view's logits, as a second
    loss ``<name>_virtual`` with the same settings."""
    def edit(cfg: Config) -> None:
        losses = cfg.model.distill_losses
        loss = _plain(losses[name])
        loss['inputs'] = {arg: f'{source}_virtual'
                          for arg, source in loss['inputs'].items()}
        losses[f'{name}_virtual'] = loss
    return edit


def views_of(method: str) -> Edit:
    """The virtual view of ``method``'s config (its ``RealVirtualViews`` on
    the benchmark's data set, see ``method_views``; e.g. MLKD's released
    strong view) in place of VRM's."""
    def edit(cfg: Config) -> None:
        source = load_config(METHODS[method].source)
        if not _own_view_options(source):
            raise ValueError(
                f'{osp.relpath(METHODS[method].source, REPO)} sets no '
                'virtual-view option of its own (its RealVirtualViews equals '
                "the CIFAR-100 two-view base's): there is no "
                f"{method} view to give VRM. Set {method}'s strong view in "
                "its config (e.g. virtual_transforms=[dict(type="
                "'MLKDStrongAugment')]).")
        views = _train_views(cfg)
        merged = method_views(_train_views(source), _plain(views))
        views.clear()
        views.update(merged)
    return edit


METHODS: Dict[str, Method] = {
    'ce': Method(None),
    'kd': Method(baseline('kd')),
    'kd_ls': Method(baseline('kd_ls', LS_PAIR)),
    # KD on both of VRM's views: a view count alone cannot explain VRM
    'kd_two_views': Method(baseline('kd'), on_virtual_view_too('loss_kd'),
                           two_views=True),
    'dkd': Method(baseline('dkd')),
    'dkd_ls': Method(baseline('dkd_ls', LS_PAIR)),
    'dist': Method(baseline('dist')),
    'rkd': Method(baseline('rkd')),
    'sp': Method(baseline('sp')),
    'pkt': Method(baseline('pkt')),
    'cc': Method(baseline('cc')),
    'mlkd': Method(baseline('mlkd')),
    'mlkd_ls': Method(baseline('mlkd_ls', LS_PAIR)),
    'ctkd': Method(baseline('ctkd')),
    'ctkd_ls': Method(baseline('ctkd_ls', LS_PAIR)),
    'reviewkd': Method(baseline('reviewkd')),
    'fitnet': Method(baseline('fitnet')),
    'at': Method(baseline('at')),
    'crd': Method(baseline('crd')),
    'vrm': Method(VRM_CONFIG),
    # ablations: one option changed each
    **{name: Method(vrm_ablation(name)) for name in (
        'vrm_no_virtual_view', 'vrm_no_ic_graph', 'vrm_no_redundant_pruning',
        'vrm_uep_none', 'vrm_uep_entropy_sum')},
    'vrm_uep_ratio_0.3': Method(VRM_CONFIG,
                                loss_options('loss_vrm', uep_ratio=0.3)),
    'vrm_virtual_ce': Method(VRM_CONFIG,
                             loss_options('loss_vrm', virtual_ce_weight=1.0)),
    'vrm_magnitude_5': Method(VRM_CONFIG, virtual_view(magnitude=5)),
    # a linear warm-up of VRM's weight over 2 of the protocol's epochs
    'vrm_warmup_2': Method(VRM_CONFIG, add_hook(dict(
        type='DistillLossWarmupHook', warmup=2, by_epoch=True,
        loss_names=['loss_vrm']))),
    # VRM with MLKD's released strong view as its virtual view
    'vrm_mlkd_view': Method(VRM_CONFIG, views_of('mlkd')),
}

MAIN_TABLE = ('ce', 'kd', 'kd_ls', 'kd_two_views', 'dkd', 'dkd_ls', 'dist',
              'rkd', 'sp', 'pkt', 'cc', 'mlkd', 'mlkd_ls', 'ctkd', 'ctkd_ls',
              'reviewkd', 'fitnet', 'at', 'crd', 'vrm')
ABLATIONS = tuple(m for m in METHODS if m.startswith('vrm_'))


# Kept for tools/analysis/spurious_response.py, which builds one more loss
# set (VRM with upper edges and no pruning) with these two.
def vrm(**options) -> dict:
    """VRM's loss of its config, with ``options`` changed."""
    loss = _plain(load_config(VRM_CONFIG).model.distill_losses.loss_vrm)
    loss.update(options)
    return loss


def _distill(cfg: Config, teacher_ckpt: str, losses: dict,
             two_views: bool = False) -> Config:
    """``losses`` (and no connectors) in place of VRM's, on VRM's config
    built for the benchmark (two views or one)."""
    name = 'vrm' if two_views else 'vrm_no_virtual_view'
    cfg = METHODS[name](cfg, teacher_ckpt)
    cfg.model.distill_losses = losses
    cfg.model.pop('connectors', None)
    return cfg

