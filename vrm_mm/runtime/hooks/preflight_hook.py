"""Check, before the first iteration, what the config, the data and the
model already tell: a run that cannot do what it says stops with one line.

``tools/train.py`` and ``tools/test.py`` add :class:`PreflightHook` to every
run (see :mod:`vrm_mm.runtime.run_guards`). Once the Runner has built its
data loaders (so each rank's share of the data is known) and before the
first iteration (before ``TeacherEvalHook`` spends time on the teacher), it
raises a :class:`PreflightError` naming the problem, the option and the fix:

* an empty dataset, or an epoch of 0 iterations on a rank (fewer samples
  per rank than ``batch_size`` with ``drop_last=True``);
* a label outside ``[0, num_classes)`` of the model's head (the labels are
  read from the dataset's annotations, ``get_gt_labels``, not decoded
  images): train, val and test sets;
* a batch a relation loss cannot use, the last batch of an epoch included
  (``drop_last=False``);
* CRD's ``num_data`` other than the train set's size;
* a loss warm-up (``DistillLossWarmupHook``) or CTKD curriculum
  (``CTKDCurriculumHook``) longer than the schedule.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop, Runner
from torch import nn

from vrm_mm.datasets.image_folder import check_same_classes
from vrm_mm.registry import HOOKS
from vrm_mm.runtime.run_guards import PreflightError
from vrm_mm.utils.checkpoint_fit import unwrap_model

__all__ = ['PreflightHook', 'PreflightError']


def _fixed(min_size: int):
    return lambda loss: min_size


# The fewest samples per batch each relation loss can relate (the loss
# itself raises on fewer, but only when such a batch arrives).
MIN_BATCH = {
    'VRMLoss': _fixed(2),
    'CCLoss': _fixed(2),
    'SPLoss': _fixed(2),
    'PKTLoss': _fixed(2),
    'MLKDLoss': _fixed(2),
    # distance over pairs, angle over triplets
    'RKDLoss': lambda loss: 3 if loss.angle_weight else
    (2 if loss.distance_weight else 1),
    # one sample makes the intra-class term a constant (no gradient)
    'DISTLoss': lambda loss: 2 if loss.gamma else 1,
}


def num_classes_of(model: nn.Module) -> Tuple[Optional[int], str]:
    """The classes of the (student) classifier's head, and its option."""
    model = unwrap_model(model)
    student = getattr(model, 'student', None)
    classifier, option = ((student, 'model.student.head.num_classes')
                          if isinstance(student, nn.Module) else
                          (model, 'model.head.num_classes'))
    head = getattr(classifier, 'head', None)
    return getattr(head, 'num_classes', None), option


def _innermost(dataset):
    """The dataset inside vrm_mm's and mmengine's wrappers."""
    while 'dataset' in getattr(dataset, '__dict__', {}):
        dataset = vars(dataset)['dataset']
    return dataset


def describe(dataset) -> str:
    """The files a dataset reads, for messages."""
    base = _innermost(dataset)
    ann_file = getattr(base, 'ann_file', '')
    if ann_file:
        return str(ann_file)
    root = getattr(base, 'data_root', '') or ''
    prefix = getattr(base, 'data_prefix', None)
    if isinstance(prefix, dict):
        prefix = prefix.get('img_path', '') or ''
    where = '/'.join(p for p in (str(root), str(prefix or '')) if p)
    return f'{type(base).__name__}({where or "?"})'


def _labels(dataset) -> Optional[list]:
    if hasattr(dataset, 'get_gt_labels'):
        return list(dataset.get_gt_labels())
    if hasattr(dataset, 'get_data_info'):
        return [dataset.get_data_info(i).get('gt_label')
                for i in range(len(dataset))]
    return None


def _first_out_of_range(labels: list, num_classes: int
                        ) -> Optional[Tuple[int, int, int]]:
    """(index, label, largest label) of the first label outside
    ``[0, num_classes)``, or None."""
    try:
        flat = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):  # multi-label or missing labels
        flat = None
    if flat is not None and flat.ndim == 1:  # one label per sample: fast
        bad = np.flatnonzero((flat < 0) | (flat >= num_classes))
        return (int(bad[0]), int(flat[bad[0]]),
                int(flat.max())) if bad.size else None
    rows = [np.asarray(label, dtype=np.int64).ravel()
            if label is not None else np.zeros(0, np.int64)
            for label in labels]
    top = max((int(row.max()) for row in rows if row.size), default=-1)
    for index, row in enumerate(rows):
        bad = row[(row < 0) | (row >= num_classes)]
        if bad.size:
            return index, int(bad[0]), top
    return None


def check_not_empty(dataset, split: str) -> None:
    if len(dataset) == 0:
        raise PreflightError(
            f'The {split} set is empty: {describe(dataset)} has no samples. '
            f'Check {split}_dataloader.dataset (data_root, data_prefix, '
            'ann_file).')


def check_labels(dataset, num_classes: Optional[int], option: str,
                 split: str) -> None:
    """Every label of ``dataset`` in ``[0, num_classes)``."""
    labels = _labels(dataset) if num_classes is not None else None
    found = _first_out_of_range(labels, num_classes) if labels else None
    if found is None:
        return
    index, label, top = found
    info = dataset.get_data_info(index) if hasattr(
        dataset, 'get_data_info') else {}
    sample = info.get('img_path') or f'sample {index}'
    raise PreflightError(
        f'The {split} set has label {label} ({sample}, {describe(dataset)}),'
        f' but {option}={num_classes}: the labels go up to {top}; set '
        f'{option}={top + 1} (all heads: student, teacher, connectors) or '
        'fix the labels.')


def _infinite(loader) -> bool:
    """An iteration-based loop's sampler: it cycles, every batch is full."""
    return type(getattr(loader, 'sampler', None)).__name__ == (
        'InfiniteSampler')


def _per_rank(loader) -> int:
    sampler = getattr(loader, 'sampler', None)
    try:
        return len(sampler)
    except TypeError:
        return len(loader.dataset)


def check_iterations(loader, world_size: int) -> None:
    """At least one training iteration per epoch on this rank."""
    if _infinite(loader) or len(loader) > 0:
        return
    per_rank = _per_rank(loader)
    raise PreflightError(
        f'An epoch has 0 iterations: the train set has '
        f'{len(loader.dataset)} samples, {per_rank} per rank on '
        f'{world_size} rank(s), fewer than train_dataloader.batch_size='
        f'{loader.batch_size} with drop_last=True. Set '
        f'train_dataloader.batch_size to at most {per_rank}, use fewer '
        'ranks, or more data.')


def batch_sizes(loader) -> List[int]:
    """The sizes of one rank's batches in an epoch (full, then last)."""
    batch, per_rank = loader.batch_size, _per_rank(loader)
    if not batch:
        return []
    if _infinite(loader):
        return [batch]
    sizes = [batch] if per_rank >= batch else []
    rest = per_rank % batch
    if rest and not loader.drop_last:
        sizes.append(rest)
    return sizes


def check_relation_batches(losses: Dict[str, nn.Module], loader,
                           world_size: int) -> None:
    """Every batch (the last one included) large enough for each loss."""
    sizes = batch_sizes(loader)
    for name, loss in losses.items():
        rule = MIN_BATCH.get(type(loss).__name__)
        if rule is None or not sizes:
            continue
        needed = rule(loss)
        # a graph over the ranks' gathered batches (VRM's gather='all')
        ranks = world_size if getattr(loss, 'gather', 'none') == 'all' else 1
        smallest = min(sizes) * ranks
        if smallest >= needed:
            continue
        what = f'{name} ({type(loss).__name__}) needs at least {needed} ' \
            'samples per batch'
        if min(sizes) == loader.batch_size:
            raise PreflightError(
                f'{what}, but train_dataloader.batch_size='
                f'{loader.batch_size}: set it to at least {needed}.')
        raise PreflightError(
            f'{what}, but the last batch of every epoch has {min(sizes)} '
            f'({_per_rank(loader)} samples per rank, batch_size='
            f'{loader.batch_size}, drop_last=False): set '
            'train_dataloader.drop_last=True, or a batch size that leaves '
            f'no remainder under {needed}.')


def check_crd_num_data(losses: Dict[str, nn.Module], num_samples: int
                       ) -> None:
    """CRD's memory banks: one row per training sample."""
    for name, loss in losses.items():
        if type(loss).__name__ != 'CRDLoss':
            continue
        num_data = loss.num_data
        if num_data == num_samples:
            continue
        raise PreflightError(
            f'model.distill_losses.{name}.num_data={num_data}, but the train '
            f'set has {num_samples} samples (CRD keeps one memory-bank row '
            f'per sample): set num_data={num_samples}, or leave num_data '
            'out and tools/train.py sets it from the train set.')


# hook type -> (its length attribute, the option to name)
WARMUP_HOOKS = {
    'DistillLossWarmupHook': 'warmup',
    'CTKDCurriculumHook': 'epochs',
}


def check_warmups(runner: Runner) -> None:
    """No warm-up longer than the schedule."""
    for hook in runner.hooks:
        attribute = WARMUP_HOOKS.get(type(hook).__name__)
        if attribute is None:
            continue
        length = getattr(hook, attribute)
        # DistillLossWarmupHook(count_from=0) reaches full weight one step
        # later (ReviewKD's released ramp)
        steps = length + 1 - getattr(hook, 'count_from', 1)
        by_epoch = getattr(hook, 'by_epoch', True)
        unit, total, option = (
            ('epochs', runner.max_epochs, 'train_cfg.max_epochs')
            if by_epoch else ('iterations', runner.max_iters,
                              'train_cfg.max_iters'))
        if total is not None and steps > total:
            name = type(hook).__name__
            raise PreflightError(
                f'{name}: {attribute}={length} needs {steps} {unit}, longer '
                f'than the schedule ({option}: {total} {unit}), so it never '
                f'ends; set the custom_hooks {name} {attribute} to at most '
                f'{total - steps + length} or train longer.')


def _loop_loader(loop) -> Optional[object]:
    return getattr(loop, 'dataloader', None) if isinstance(
        loop, BaseLoop) else None


def check_eval_set(runner: Runner, loop, split: str) -> None:
    loader = _loop_loader(loop)
    if loader is None:
        return
    check_not_empty(loader.dataset, split)
    check_labels(loader.dataset, *num_classes_of(runner.model), split)


@HOOKS.register_module()
class PreflightHook(Hook):
    """Raise :class:`PreflightError` before the first train or test
    iteration when the run cannot do what its config says (see the module
    doc). ``tools/train.py`` and ``tools/test.py`` add it to every run."""

    priority = 'HIGHEST'  # before the hooks that spend time

    def before_train(self, runner: Runner) -> None:
        loader = runner.train_dataloader
        world_size = runner.world_size
        check_not_empty(loader.dataset, 'train')
        check_iterations(loader, world_size)
        check_labels(loader.dataset, *num_classes_of(runner.model), 'train')
        losses = getattr(unwrap_model(runner.model), 'distill_losses', {})
        check_relation_batches(losses, loader, world_size)
        check_crd_num_data(losses, len(loader.dataset))
        check_warmups(runner)
        check_eval_set(runner, runner._val_loop, 'val')
        val_loader = _loop_loader(runner._val_loop)
        if val_loader is not None:  # labels must mean the same classes
            check_same_classes(_innermost(loader.dataset),
                               _innermost(val_loader.dataset), 'val')

    def before_test(self, runner: Runner) -> None:
        check_eval_set(runner, runner._test_loop, 'test')
