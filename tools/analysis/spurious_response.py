"""Spurious-response propagation: how much gradient one spurious sample sends
to the other samples of the batch, for every distillation loss.

    python tools/analysis/spurious_response.py CONFIG CHECKPOINT
        [--methods config kd rkd ...] [--batches 50] [--batch-size 64]
        [--split test|val|train] [--margin 10] [--seed 0] [--quick]
        [--out benchmarks/results/analysis/spurious_response]

CONFIG is a distiller config (its teacher, student and data), CHECKPOINT
the student's (tools/train.py's). Each row is a loss set: a method's
config (its ResNet56 -> ResNet20 CIFAR-100 config, a VRM ablation's, or a
variant of :data:`VARIANTS`; by default every one with distinct
losses, plus VRM with upper edges and no pruning) or ``config`` (the
config's own distillation losses, whose parameters then load from the
checkpoint), all built into one distiller on the
config's teacher and student. Batches come from ``--split`` read through the
config's training pipeline (VRM's two views; unshuffled). In each batch a
seeded random sample is made spurious and the measure of
:mod:`vrm_mm.analysis.spurious_response` is taken (ratio = change sent to the
other samples / change at the sample itself; spread = change sent to the
others / the batch's clean gradient). Writes OUT.json, OUT.png (mean and
std of the ratio per row) and OUT.md, and prints the table; for a loss
that prunes unreliable edges also the share of the spurious sample's own
edges that the pruning drops.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

import numpy as np

from vrm_mm.runtime.cli import clear_errors

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')
PAIR = 'resnet56_resnet20_240e_cifar100'
LS_PAIR = 'resnet32x4_resnet8x4_240e_cifar100'
# rows that are a method's config with loss options changed
VARIANTS = {
    # the one edge set x pruning combination the ablations lack
    'vrm_upper_uep_none': ('vrm', dict(
        loss_vrm=dict(is_edges='upper', uep='none'))),
}
QUICK = dict(batches=3, batch_size=32)
NOTE = ('ratio = gradient change at the other samples / change at the '
        'spurious sample itself (0 = nothing spreads); spread = change at '
        "the others / the batch's clean gradient. Last column, for losses "
        "that prune unreliable edges: share of the spurious sample's IS "
        'edges pruned, on the clean batch and with the sample made '
        'spurious (an even pruning drops uep_ratio of them).')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--methods', nargs='+',
                        help='rows: `config` and/or methods (baseline '
                        'folders, vrm, vrm ablations, VARIANTS; default: '
                        'all distinct ones)')
    parser.add_argument('--batches', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--split', default='test',
                        choices=('test', 'val', 'train'))
    parser.add_argument('--margin', type=float, default=None,
                        help='logit margin of the wrong class (default '
                        'MARGIN of vrm_mm.analysis.spurious_response)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--quick', action='store_true',
                        help=f'{QUICK["batches"]} batches of '
                        f'{QUICK["batch_size"]}')
    parser.add_argument(
        '--out', default='work_dirs/analysis/spurious_response',
        help='output path without extension (.json, .png, .md)')
    args = parser.parse_args(argv)
    if args.quick:
        args.batches, args.batch_size = QUICK['batches'], QUICK['batch_size']
    return args


def negatives_of(cfg):
    """K of the config's ContrastSampleDataset (CRD), None without one."""
    return cfg.train_dataloader.dataset.get('num_negatives')


def method_configs() -> dict:
    """``{method: config}``: each baseline's config of the ResNet56 ->
    ResNet20 pair (LSKD's ``*_ls`` of ResNet32x4 -> ResNet8x4), VRM's and
    its ablations' (``configs/vrm/ablations``)."""
    found = {}
    baselines = osp.join(CONFIGS, 'baselines')
    for method in sorted(os.listdir(baselines)):
        for name, pair in ((method, PAIR), (f'{method}_ls', LS_PAIR)):
            path = osp.join(baselines, method, f'{name}_{pair}.py')
            if osp.isfile(path):
                found[name] = path
    found['vrm'] = osp.join(CONFIGS, 'vrm', f'vrm_{PAIR}.py')
    ablations = osp.join(CONFIGS, 'vrm', 'ablations')
    for file in sorted(os.listdir(ablations)):
        if file.endswith(f'_{PAIR}.py'):
            found[file[:-len(f'_{PAIR}.py')]] = osp.join(ablations, file)
    return found


def method_rows(names=None) -> dict:
    """``{row: (distill_losses, connectors, custom_hooks, num_negatives)}``
    from each method's config (``num_negatives``: CRD's K, else None);
    :data:`VARIANTS` change a method's loss options."""
    from mmengine.config import Config
    configs = method_configs()
    unknown = sorted(set(names or ()) - set(configs) - set(VARIANTS) -
                     {'config'})
    if unknown:
        raise ValueError(f'unknown method(s) {unknown}; valid: config, '
                         f'{", ".join([*configs, *VARIANTS])}.')
    rows, seen = {}, set()
    for name in ([*configs, *VARIANTS] if names is None else names):
        method, options = VARIANTS.get(name, (name, {}))
        cfg = Config.fromfile(configs[method])
        model = cfg.model.to_dict()
        losses = model.get('distill_losses')
        for loss, changes in options.items():
            losses[loss].update(changes)
        key = repr((losses, model.get('connectors')))
        if losses and (names is not None or key not in seen):
            seen.add(key)
            rows[name] = (losses, model.get('connectors') or {},
                          cfg.get('custom_hooks', []), negatives_of(cfg))
    return rows


def merge_rows(model: dict, rows: dict, keep_config: bool):
    """The distiller config with every row's losses, and each row's keys.

    Rows after the config's own are renamed ``loss_r<k>_*`` (connectors
    ``r<k>_*``) so that they coexist; the config's keep their names, so
    their parameters in the checkpoint load.
    """
    losses = dict(model.get('distill_losses') or {}) if keep_config else {}
    connectors = dict(model.get('connectors') or {}) if keep_config else {}
    keys = {'config': list(losses)} if keep_config else {}
    for k, (row_losses, row_connectors, *_) in enumerate(rows.values()):
        rename = {f'connectors.{c}': f'connectors.r{k}_{c}'
                  for c in row_connectors}
        for name, cfg in row_connectors.items():
            connectors[f'r{k}_{name}'] = cfg
        keys[list(rows)[k]] = []
        for name, cfg in row_losses.items():
            cfg = copy.deepcopy(dict(cfg))
            cfg['inputs'] = {
                arg: [rename.get(s, s) for s in source] if isinstance(
                    source, (list, tuple)) else rename.get(source, source)
                for arg, source in cfg['inputs'].items()
            }
            losses[f'loss_r{k}_{name[len("loss_"):]}'] = cfg
            keys[list(rows)[k]].append(f'loss_r{k}_{name[len("loss_"):]}')
    return dict(model, distill_losses=losses, connectors=connectors), keys


def summarise(per_batch: dict) -> dict:
    """Mean and std over the batches of each row's ratio and spread per
    perturbation, and of the ``pruned`` share per batch kind."""
    out = {}
    for row, results in per_batch.items():
        out[row] = {}
        for kind, pairs in results.items():
            if kind == 'pruned':
                out[row][kind] = {
                    batch: dict(mean=float(np.mean(shares)),
                                std=float(np.std(shares)))
                    for batch, shares in ((batch, [p[batch] for p in pairs])
                                          for batch in pairs[0])}
                continue
            ratio = np.array([p[0] for p in pairs], dtype=float)
            share = np.array([p[1] for p in pairs], dtype=float)
            finite = ratio[np.isfinite(ratio)]
            out[row][kind] = dict(
                ratio_mean=float(finite.mean()) if finite.size else None,
                ratio_std=float(finite.std()) if finite.size else None,
                spread_mean=float(share.mean()),
                spread_std=float(share.std()),
                batches=len(pairs), ratio_undefined=int((~np.isfinite(
                    ratio)).sum()))
    return out


def table(summary: dict, inputs: dict) -> str:
    def cell(stats, key):
        if stats is None or stats[f'{key}_mean'] is None:
            return 'n/a'
        return f'{stats[f"{key}_mean"]:.4g} ± {stats[f"{key}_std"]:.2g}'

    def pruned(stats):
        if 'pruned' not in stats:
            return 'n/a'
        return ' / '.join(
            f'{stats["pruned"][b]["mean"]:.2f}' if b in stats['pruned']
            else '-' for b in ('clean', 'wrong', 'noise'))
    lines = ['| loss | measured on | ratio, wrong logits | ratio, noise '
             'image | spread, wrong logits | spread, noise image | '
             "sample's edges pruned: clean / wrong / noise |",
             '|---|---|---|---|---|---|---|']
    for row, stats in summary.items():
        wrong, noise = stats.get('wrong'), stats['noise']
        lines.append(
            f'| {row} | {", ".join(inputs[row])} | {cell(wrong, "ratio")} | '
            f'{cell(noise, "ratio")} | {cell(wrong, "spread")} | '
            f'{cell(noise, "spread")} | {pruned(stats)} |')
    return '\n'.join(lines)


def build_distiller(cfg, rows: dict, checkpoint: str):
    """The config's distiller with every row's losses, the student (and
    whatever else the checkpoint holds) loaded; and each row's loss keys."""
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import _load_checkpoint

    from vrm_mm.engine.hooks.ctkd_curriculum_hook import apply_curriculum
    from vrm_mm.registry import MODELS
    if cfg.model.get('type') != 'SingleTeacherDistiller':
        raise ValueError(
            f'{cfg.filename} is not a distiller config (model.type '
            f'{cfg.model.get("type")!r}): give the config of a '
            'SingleTeacherDistiller run, e.g. its work_dir/config.py.')
    init_default_scope(cfg.get('default_scope', 'vrm_mm'))
    model_cfg, keys = merge_rows(
        cfg.model, {k: v for k, v in rows.items() if k != 'config'},
        'config' in rows)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    torch.manual_seed(0)  # connectors the checkpoint lacks
    distiller = MODELS.build(model_cfg)
    # CTKD at the end of its curriculum (full gradient reversal)
    apply_curriculum([hook for row in rows.values() for hook in (
        row[2] if row else cfg.get('custom_hooks', []))], distiller,
        iteration=sys.maxsize)
    state = _load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    student = [k for k in distiller.state_dict() if k.startswith('student.')]
    missing = [k for k in student if k not in state]
    if missing:
        raise ValueError(
            f'{checkpoint} lacks {len(missing)} of the student\'s '
            f'{len(student)} weights (e.g. {missing[0]}): give a checkpoint '
            'of a run of this config (tools/train.py writes epoch_N.pth).')
    own = distiller.state_dict()
    distiller.load_state_dict(
        {k: v for k, v in state.items() if k in own}, strict=False)
    return distiller, keys


def batches(cfg, split: str, batch_size: int, seed: int):
    """Unshuffled batches of ``split`` through the training pipeline."""
    from mmengine.runner import Runner
    loader = copy.deepcopy(cfg[f'{split}_dataloader'])
    loader.dataset.pipeline = cfg.train_dataloader.dataset.pipeline
    loader.update(batch_size=batch_size, num_workers=0, drop_last=True,
                  persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner.build_dataloader(loader, seed=seed)


def run(args) -> dict:
    """Measure every row on ``args.batches`` batches; the raw results."""
    import torch
    from mmengine.config import Config

    from vrm_mm.analysis import spurious_response as sr
    from vrm_mm.datasets.contrast_sample_dataset import random_contrast_fields
    cfg = Config.fromfile(args.config)
    names = args.methods
    rows = method_rows(None if names is None else [
        n for n in names if n != 'config'])
    if names is not None and 'config' in names:
        rows = {'config': None, **rows}
    distiller, keys = build_distiller(cfg, rows, args.checkpoint)
    # CRD's K: of the method rows, and of the config when it is a row
    ks = [row[3] for row in rows.values() if row] + (
        [negatives_of(cfg)] if 'config' in rows else [])
    negatives = max([k for k in ks if k], default=0)
    margin = sr.MARGIN if args.margin is None else args.margin
    generator = torch.Generator().manual_seed(args.seed)
    per_batch = {row: {} for row in keys}
    count = 0
    for data in batches(cfg, args.split, args.batch_size, args.seed):
        if count == args.batches:
            break
        data = distiller.data_preprocessor(data, False)
        if negatives:  # CRD: memory-bank rows, as its dataset wrapper adds
            random_contrast_fields(data['data_samples'], min(
                loss.num_data for loss in distiller.distill_losses.values()
                if hasattr(loss, 'num_data')), negatives, generator)
        if count == 0:
            sr.fix_first_batch_constants(distiller, data)
        index = int(torch.randint(args.batch_size, (1, ),
                                  generator=generator))
        for row, result in sr.measure_batch(distiller, data, keys, index,
                                            generator, margin).items():
            for kind, pair in result.items():
                per_batch[row].setdefault(kind, []).append(pair)
        count += 1
    if count < args.batches:
        raise ValueError(f'--split {args.split} has {count} full batches '
                         f'of {args.batch_size}, fewer than --batches '
                         f'{args.batches}.')
    inputs = {row: sr.student_inputs(distiller, row_keys)
              for row, row_keys in keys.items()}
    return dict(config=args.config, checkpoint=args.checkpoint,
                batches=count, batch_size=args.batch_size, split=args.split,
                margin=margin, seed=args.seed, rows=keys, inputs=inputs,
                per_batch=per_batch)


def plot(summary: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = list(summary)
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(rows)), 4))
    x = np.arange(len(rows))
    for shift, kind in ((-0.2, 'wrong'), (0.2, 'noise')):
        stats = [summary[row].get(kind) or {} for row in rows]
        mean = [s.get('ratio_mean') or 0.0 for s in stats]
        std = [s.get('ratio_std') or 0.0 for s in stats]
        ax.bar(x + shift, mean, 0.4, yerr=std, capsize=2,
               label={'wrong': 'confidently wrong logits',
                      'noise': 'noise image'}[kind])
    ax.set_xticks(x, rows, rotation=60, ha='right')
    ax.set_ylabel('gradient change to the others / own')
    ax.set_title('One spurious sample: gradient sent to the rest of the '
                 'batch')
    ax.grid(axis='y', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    from bench_meta import machine_metadata
    with clear_errors('spurious_response', (ValueError, OSError)):
        result = run(args)
    summary = summarise(result['per_batch'])
    text = table(summary, result['inputs'])
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    command = 'python tools/analysis/spurious_response.py ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    meta = dict(command=command, machine=machine_metadata(), **result)
    with open(args.out + '.json', 'w') as f:
        json.dump(dict(meta, summary=summary), f, indent=1)
    plot(summary, args.out + '.png')
    with open(args.out + '.md', 'w') as f:
        f.write(f'# Spurious-response propagation\n\n`{command}`\n\n'
                f'{args.batches} batches of {args.batch_size}, split '
                f'{args.split}; machine: {meta["machine"]}\n\n{NOTE}\n\n'
                f'{text}\n')
    print(text)
    print(f'written to {args.out}.json, .png and .md')


if __name__ == '__main__':
    main()
