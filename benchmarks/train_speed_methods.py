"""Cost rows of ``train_speed.py``: every distillation method's step.

Each method's ResNet56 -> ResNet20 CIFAR-100 experiment config, found by
glob (``configs/baselines/<method>/<method>_<PAIR>.py`` and
``configs/vrm/vrm_<PAIR>.py``), so a method added under
``configs/baselines/`` gets its row without editing the benchmark. The
model, its data preprocessor, optimizer and number of views come from the
config; the teacher is the benchmark's checkpoint. Hooks (loss warm-up,
temperature schedules) are not run: a row is the steady-state step, with
CTKD's gradient-reversal strength at the end of its curriculum.
"""

from pathlib import Path

import torch
from mmengine.config import Config
from train_speed_report import CLOCKS, label, ms_cell, run_line
from train_speed_steps import Step

from vrm_mm.datasets.contrast_sample_dataset import random_contrast_fields
from vrm_mm.datasets.seeded_pipeline import dataset_cfgs
from vrm_mm.engine.hooks.ctkd_curriculum_hook import apply_curriculum

CONFIGS = Path(__file__).resolve().parent.parent / 'configs'
PAIR = 'resnet56_resnet20_240e_cifar100'


def method_configs():
    """Method name -> its experiment config, sorted by name."""
    found = {
        path.parent.name: path
        for path in (CONFIGS / 'baselines').glob(f'*/*_{PAIR}.py')
        if path.name == f'{path.parent.name}_{PAIR}.py'
    }
    found['vrm'] = CONFIGS / 'vrm' / f'vrm_{PAIR}.py'
    return dict(sorted(found.items()))


def select(names):
    """The configs of ``names`` (all when empty); unknown names raise."""
    configs = method_configs()
    unknown = sorted(set(names or ()) - set(configs))
    if unknown:
        raise SystemExit(f'--methods: no config for {unknown}; found '
                         f'{", ".join(configs)} (configs/baselines/<method>/'
                         f'<method>_{PAIR}.py).')
    return {n: p for n, p in configs.items() if not names or n in names}


def num_views(cfg):
    """Views per image of the config's training pipeline."""
    for dataset in dataset_cfgs(cfg.train_dataloader.dataset):
        for transform in dataset.get('pipeline') or ():
            if transform['type'] == 'RealVirtualViews':
                return len(transform['view_transforms'])
    return 1


def add_contrast_fields(cfg, batch, seed=0):
    """What ContrastSampleDataset adds to each sample (CRD), on the
    in-memory batch (:func:`random_contrast_fields`)."""
    wrapper = cfg.train_dataloader.dataset
    if wrapper.get('type') != 'ContrastSampleDataset':
        return
    rows = min(loss['num_data'] for loss in cfg.model.distill_losses.values()
               if 'num_data' in loss)
    random_contrast_fields(batch['data_samples'], rows,
                           wrapper.num_negatives,
                           torch.Generator().manual_seed(seed))


def method_step(path, teacher_ckpt, batch_size, device):
    """The ``Step`` of one experiment config."""
    cfg = Config.fromfile(str(path))
    model = cfg.model.to_dict()
    model['teacher_ckpt'] = teacher_ckpt
    # what the Runner does with a top-level data_preprocessor
    model.setdefault('data_preprocessor', cfg.data_preprocessor.to_dict())
    step = Step(model, cfg.optim_wrapper.to_dict(), batch_size, device,
                num_views(cfg))
    add_contrast_fields(cfg, step.batch)
    apply_curriculum(cfg.get('custom_hooks', []), step.model,
                     epoch=cfg.train_cfg.max_epochs - 1)
    return step


def methods_markdown(result):
    """The cost table: one row per method's experiment config."""
    speed, ratios = result['speed'], result['ratios']
    clock = 'cpu' if 'cpu' in ratios else 'wall'
    lines = [
        '# Training-step cost of every distillation method', '',
        run_line(result['metadata']), '',
        f'Each method\'s `*_{PAIR}.py` experiment config (found by glob), '
        'ResNet56 -> ResNet20, batch '
        f"{result['metadata']['batch_size']}, `train_step` on an in-memory "
        'uint8 batch, interleaved round by round with KD on two views and '
        'the hand-written floors (`train_speed.md`). Ratios are medians of '
        f'per-round ratios ({CLOCKS[clock]}); peak MiB: memory held above '
        'the start of the step. Rerun: `python benchmarks/train_speed.py '
        '--methods-only [--methods NAME ...]`.', '',
        f'| method | views | {CLOCKS[clock]}: ms / step, median [IQR] | '
        'peak MiB / step | vs KD on two views | vs its floor |',
        '|---|---|---|---|---|---|'
    ]
    for name, floor in result['floor_of'].items():
        if not name.startswith('method:'):
            continue
        row = speed[name]
        lines.append(
            f"| {name.split(':', 1)[1]} | {2 if '2views' in floor else 1} | "
            f'{ms_cell(row[clock])} | {row["peak_mib"]:.0f} | '
            f"{ratios[clock][f'{name}/kd_2views']['median']:.3f}x | "
            f"{ratios[clock][f'{name}/{floor}']['median']:.3f}x ({floor}) |")
    for name in ('kd_2views', 'floor', 'floor_2views'):
        row = speed[name]
        lines.append(f'| {label(name)} (reference) | | {ms_cell(row[clock])}'
                     f' | {row["peak_mib"]:.0f} | | |')
    for method, error in result['failed_methods'].items():
        lines.append(f'| {method} | | not built: {error} | | | |')
    return '\n'.join(lines + [''])
