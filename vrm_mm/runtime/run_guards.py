"""What ``tools/train.py`` guarantees every run, whatever its config's hooks.

* :class:`~vrm_mm.runtime.hooks.PreemptionHook`: on SIGTERM/SIGUSR1 or a
  first Ctrl-C a checkpoint is saved and the run exits with status 75
  ("resume me").
* :class:`~vrm_mm.runtime.hooks.LastBestAccuracyHook`: every run logs the
  last-epoch and the best-epoch top-1 (the two metrics the published
  baselines report, configs/README.md).
* :class:`~vrm_mm.datasets.BadSampleGuard` around the train dataset: an
  unreadable sample stops training with one line, or with
  ``bad_samples = dict(policy='skip', max_skipped=N)`` is replaced by the
  next readable one (and ``BadSampleLogHook`` logs them every epoch).
* :class:`~vrm_mm.runtime.hooks.preflight_hook.PreflightHook` (also added by
  ``tools/test.py``): before the first iteration, a run that cannot do what
  its config says (no iteration per epoch, labels beyond ``num_classes``,
  batches a relation loss cannot use, CRD's ``num_data`` not the train
  set's size, a warm-up longer than the schedule) stops with one line.
  CRD's ``num_data``, when the config leaves it out, is set to the train
  set's size. Before the Runner is built, :func:`check_paths` looks at what
  the file system already tells (the work_dir, ``load_from``, image
  folders).
"""
import copy
import os
import os.path as osp

from mmengine.config import Config
from mmengine.registry import init_default_scope

from vrm_mm.datasets.bad_sample_guard import check_bad_sample_policy
from vrm_mm.registry import DATASETS
from vrm_mm.utils.checkpoint_fit import check_checkpoint_file
from vrm_mm.utils.errors import VrmMmError

# scoped: the hooks and the wrapper resolve from any config's default scope
PREEMPTION_HOOK = 'vrm_mm.PreemptionHook'
BAD_SAMPLE_GUARD = 'vrm_mm.BadSampleGuard'
BAD_SAMPLE_LOG_HOOK = 'vrm_mm.BadSampleLogHook'
PREFLIGHT_HOOK = 'vrm_mm.PreflightHook'
LAST_BEST_HOOK = 'vrm_mm.LastBestAccuracyHook'
BAD_SAMPLE_KEYS = ('policy', 'max_skipped')


class PreflightError(VrmMmError, ValueError):
    """A run that cannot do what its config says, found before it starts."""


# mmpretrain's CustomDataset's default extensions
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')


def check_work_dir(cfg: Config) -> None:
    """The work_dir can be created and written."""
    work_dir = cfg.get('work_dir')
    if not work_dir:
        return
    try:
        os.makedirs(work_dir, exist_ok=True)
    except OSError as error:
        raise PreflightError(
            f'work_dir {work_dir} cannot be created ({error.strerror}): give '
            'another one with --work-dir DIR.') from None
    if not os.access(work_dir, os.W_OK | os.X_OK):
        raise PreflightError(
            f'work_dir {work_dir} is not writable: give another one with '
            '--work-dir DIR, or make it writable.')


def _innermost_dataset(dataset):
    while isinstance(dataset, dict) and isinstance(dataset.get('dataset'),
                                                   dict):
        dataset = dataset['dataset']
    return dataset


def _has_image(folder: str) -> bool:
    for _, _, files in os.walk(folder, followlinks=True):
        if any(name.lower().endswith(IMAGE_EXTENSIONS) for name in files):
            return True
    return False


def check_image_folders(cfg: Config, splits) -> None:
    """The folders of image-folder datasets (``CustomDataset`` without
    ``ann_file``) exist and hold images."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        dataset = _innermost_dataset(loader.get('dataset'))
        if not isinstance(dataset, dict) or str(dataset.get('type', '')).split(
                '.')[-1] not in ('CustomDataset', 'ImageFolderDataset') or \
                dataset.get('ann_file'):
            continue
        prefix = dataset.get('data_prefix', '')
        if isinstance(prefix, dict):
            prefix = prefix.get('img_path', '')
        folder = osp.join(dataset.get('data_root', '') or '', prefix or '')
        option = f'{split}_dataloader.dataset.data_root'
        if not osp.isdir(folder):
            raise PreflightError(
                f'The {split} images folder {folder} does not exist: set '
                f'{option} (and data_prefix) to the folder that holds the '
                'class subfolders.')
        if not _has_image(folder):
            raise PreflightError(
                f'The {split} images folder {folder} holds no image '
                f'({", ".join(IMAGE_EXTENSIONS)}) in its class subfolders: '
                f'check {option} and data_prefix.')


def check_paths(cfg: Config, splits=('train', 'val', 'test')) -> None:
    """What the file system tells before the Runner is built: the work_dir,
    ``load_from`` (also set by ``--resume CKPT``) and image folders."""
    check_work_dir(cfg)
    if cfg.get('load_from'):
        option = '--resume' if cfg.get('resume') else 'load_from'
        check_checkpoint_file(cfg.load_from, option)
    check_image_folders(cfg, splits)


def _has_hook(hooks: list, name: str) -> bool:
    return any(
        str(hook.get('type', '')).split('.')[-1] == name.split('.')[-1]
        for hook in hooks)


def _add_hook(cfg: Config, name: str) -> None:
    hooks = list(cfg.get('custom_hooks') or [])
    if not _has_hook(hooks, name):  # a config's own settings win
        hooks.append(dict(type=name))
    cfg.custom_hooks = hooks


def guard_bad_samples(cfg: Config) -> None:
    """Wrap the train dataset in ``BadSampleGuard`` per ``bad_samples``."""
    policy = dict(cfg.get('bad_samples') or {})
    unknown = sorted(set(policy) - set(BAD_SAMPLE_KEYS))
    if unknown:
        raise ValueError(
            f'bad_samples: unknown keys {unknown}; valid: '
            f"{list(BAD_SAMPLE_KEYS)}, e.g. bad_samples = dict("
            "policy='skip', max_skipped=10).")
    policy.setdefault('policy', 'raise')
    policy.setdefault('max_skipped', 10)
    check_bad_sample_policy(**policy)
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        return
    if str(loader.dataset.get('type', '')).endswith('BadSampleGuard'):
        return
    loader.dataset = dict(type=BAD_SAMPLE_GUARD, dataset=loader.dataset,
                          **policy)
    if policy['policy'] == 'skip':
        _add_hook(cfg, BAD_SAMPLE_LOG_HOOK)


def add_preflight(cfg: Config) -> None:
    """Add :class:`PreflightHook` (train and test)."""
    # importing the module registers the hook
    from vrm_mm.runtime.hooks import preflight_hook  # noqa: F401
    _add_hook(cfg, PREFLIGHT_HOOK)


def _is_crd(loss) -> bool:
    return isinstance(loss, dict) and str(loss.get('type', '')).split(
        '.')[-1] == 'CRDLoss'


def derive_crd_num_data(cfg: Config) -> None:
    """Set CRD's ``num_data`` to the train set's size where it is unset
    (``PreflightHook`` checks a value that is set)."""
    losses = (cfg.get('model') or {}).get('distill_losses') or {}
    unset = [name for name, loss in losses.items()
             if _is_crd(loss) and loss.get('num_data') is None]
    loader = cfg.get('train_dataloader')
    if not unset or not loader or 'dataset' not in loader:
        return
    init_default_scope(cfg.get('default_scope', 'vrm_mm'))
    size = len(DATASETS.build(copy.deepcopy(loader.dataset)))
    for name in unset:
        losses[name]['num_data'] = size
        print(f'vrm_mm: model.distill_losses.{name}.num_data = {size}, the '
              'train set\'s size.')


def add_run_guards(cfg: Config) -> None:
    """Add the preemption hook, the pre-flight checks, the last-and-best
    top-1 record and the bad-sample guard to ``cfg``."""
    _add_hook(cfg, PREEMPTION_HOOK)
    # importing the module registers the hook
    from vrm_mm.runtime.hooks import last_best_accuracy_hook  # noqa: F401
    _add_hook(cfg, LAST_BEST_HOOK)
    add_preflight(cfg)
    validates = all(cfg.get(key) is not None
                    for key in ('val_cfg', 'val_dataloader', 'val_evaluator'))
    check_paths(cfg, ('train', 'val') if validates else ('train', ))
    derive_crd_num_data(cfg)
    guard_bad_samples(cfg)
