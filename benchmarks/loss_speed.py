"""Speed and memory of the VRM loss against the KD loss.

Times forward + backward of ``vrm_loss`` (``mse`` and ``huber``) and
``kd_loss`` over a grid of batch sizes B and class counts C, and measures the
extra memory each call allocates. VRM sees four B x C logit tensors (student
and teacher, real and virtual view); KD sees the same two views as one
2B x C student/teacher pair, so both losses cover the same logits.

Time: median over rounds in which the three losses run back to back, after
``--warmup`` calls (``--repeats`` rounds, fewer for slow configurations
once ``--budget-s`` is spent, at least 3); the ratio to KD is the median of
the per-round ratios, which shared, noisy machines distort less.
Memory: peak of the bytes allocated during one call above what was
allocated before it (inputs excluded, input gradients included). On CUDA
``torch.cuda.max_memory_allocated``; on CPU the allocation and free events
of ``torch.profiler`` (``profile_memory=True``) replayed in time order.

Usage::

    python benchmarks/loss_speed.py            # full grid, CPU
    python benchmarks/loss_speed.py --quick    # 2 x 2 subset
    python benchmarks/loss_speed.py --threads 1  # steadier on shared CPUs
    python benchmarks/loss_speed.py --device cuda --repeats 20

Each call is a run saved as its own file under
``<out-dir>/runs/loss_speed/`` (``run_store``); ``loss_speed.{json,md,png}``
are the newest run's (``tables``).
"""

import argparse
import json
import math
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

import run_store
import torch
from bench_meta import machine_metadata
from torch.profiler import ProfilerActivity, profile

from vrm_mm.models.losses.kd import kd_loss
from vrm_mm.models.losses.vrm import vrm_loss

RESULTS = Path(__file__).parent / 'results'
LOSSES = ('kd', 'vrm_mse', 'vrm_huber')


def make_step(name, batch, classes, device):
    """A closure running forward + backward of one loss on fresh logits."""
    gen = torch.Generator(device=device).manual_seed(0)
    views = [
        torch.randn(batch, classes, generator=gen, device=device)
        for _ in range(4)
    ]
    student = views[:2]
    for x in student:
        x.requires_grad_(True)

    def step():
        for x in student:
            x.grad = None
        if name == 'kd':
            loss = kd_loss(torch.cat(views[:2]), torch.cat(views[2:]))
        else:
            out = vrm_loss(*views, match=name.split('_')[1])
            loss = out['loss_vrm_is'] + out['loss_vrm_ic']
        loss.backward()

    return step


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(step, device):
    sync(device)
    start = time.perf_counter()
    step()
    sync(device)
    return time.perf_counter() - start


def paired_times(steps, device, warmup, repeats, budget_s):
    """Seconds per call of every step, the steps interleaved per round.

    Interleaving puts the losses under the same machine load in each round,
    so per-round ratios are paired. Rounds stop after ``repeats``, or once
    ``budget_s`` is spent and at least 3 rounds are done. A step slower
    than 1 s gets a single warm-up call.
    """
    for step in steps.values():
        for _ in range(warmup):
            if timed(step, device) > 1.0:
                break
    times = {name: [] for name in steps}
    start = time.perf_counter()
    while len(times[next(iter(steps))]) < repeats:
        if len(times[next(iter(steps))]) >= 3 and (time.perf_counter() -
                                                   start > budget_s):
            break
        for name, step in steps.items():
            times[name].append(timed(step, device))
    return times


def peak_extra_mb(step, device):
    """Peak bytes allocated by one call above the level before it, in MB."""
    if device.type == 'cuda':
        sync(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        sync(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        step()
    events = [
        e for e in prof.profiler.kineto_results.events()
        if e.name() == '[memory]' and e.device_type().name == 'CPU'
    ]
    live = peak = 0
    for event in sorted(events, key=lambda e: e.start_ns()):
        live += event.nbytes()
        peak = max(peak, live)
    return peak / 2**20


def metadata(args, device):
    machine = machine_metadata(str(device))
    meta = dict(
        command=shlex.join([Path(sys.executable).name, *sys.argv]),
        git_commit=machine['commit'],
        nproc=machine['nproc'],
        torch_threads=torch.get_num_threads(),
        cpu_model=machine['cpu'],
        torch_version=machine['torch'],
        device=str(device),
        date=machine['date'],
        warmup=args.warmup,
        repeats=args.repeats,
        budget_s=args.budget_s,
        load_average_start=os.getloadavg(),
        memory_method=('torch.cuda.max_memory_allocated'
                       if device.type == 'cuda' else
                       'torch.profiler allocation events, replayed'),
        kd_inputs='both views as one 2B x C pair, T=4',
        vrm_inputs='four B x C tensors; defaults (cross, UEP 0.1, zscore)')
    if device.type == 'cuda':
        meta['gpu'] = machine['device']
    return meta


def fmt_load(load):
    return ', '.join(f'{x:.1f}' for x in load)


def slope(xs, ys):
    """Least-squares slope of log y against log x (the scaling exponent)."""
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly))
    den = sum((a - mx)**2 for a in lx)
    return num / den if den else float('nan')


def lookup(rows, loss, batch, classes):
    return next(r for r in rows if r['loss'] == loss and r['batch'] == batch
                and r['classes'] == classes)


def markdown(meta, rows, batches, classes_list):
    lines = [
        '# Loss kernels: VRM vs KD, forward + backward', '',
        f"`{meta['command']}` on {meta['device']} ({meta['cpu_model']}, "
        f"{meta['nproc']} cores, {meta['torch_threads']} torch threads), "
        f"torch {meta['torch_version']}, commit {meta['git_commit']}, "
        f"{meta['date']}.", '',
        f"Time: median over rounds (the three losses back to back; up to "
        f"{meta['repeats']} rounds, at least 3, fewer past "
        f"{meta['budget_s']:.0f} s per row) after up to {meta['warmup']} "
        f"warm-up calls; ratios are medians of per-round ratios. Load "
        f"average (1, 5, 15 min) {fmt_load(meta['load_average_start'])} at "
        f"the start, {fmt_load(meta['load_average_end'])} at the end: the "
        f"machine is shared, absolute times are noisy. Memory: peak extra MB "
        f"during one call ({meta['memory_method']}). KD: "
        f"{meta['kd_inputs']}. VRM: {meta['vrm_inputs']}.", '',
        '| B | C | rounds | KD ms | mse ms | huber ms | mse / KD | '
        'huber / KD | KD MB | mse MB | huber MB | materialised MB |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for b in batches:
        for c in classes_list:
            kd, mse, hub = (lookup(rows, n, b, c) for n in LOSSES)
            # float32 IS (B x B x C) plus IC (C(C-1)/2 x 2B) edge tensors
            edges_mb = 4 * (b * b * c + c * (c - 1) // 2 * 2 * b) / 2**20
            lines.append(
                f"| {b} | {c} | {hub['calls']} | {kd['ms']:.2f} | "
                f"{mse['ms']:.2f} | {hub['ms']:.1f} | "
                f"{mse['ratio_to_kd']:.0f}x | {hub['ratio_to_kd']:.0f}x | "
                f"{kd['peak_mb']:.2f} | {mse['peak_mb']:.1f} | "
                f"{hub['peak_mb']:.1f} | {edges_mb:.0f} |")
    small_c, big_c = min(classes_list), max(classes_list)
    big_b = max(batches)
    lines += [
        '', '## Scaling (log-log slopes)', '',
        f'| loss | time~B, C={small_c} | time~B, C={big_c} | '
        f'time~C, B={big_b} | memory~B, C={small_c} | '
        f'memory~B, C={big_c} | memory~C, B={big_b} |',
        '|---|---|---|---|---|---|---|'
    ]
    for name in LOSSES:
        if len(batches) < 2 or len(classes_list) < 2:
            break
        cells = []
        for key in ('ms', 'peak_mb'):
            for c in (small_c, big_c):
                ys = [lookup(rows, name, b, c)[key] for b in batches]
                cells.append(slope(batches, ys))
            ys = [lookup(rows, name, big_b, c)[key] for c in classes_list]
            cells.append(slope(classes_list, ys))
        lines.append(f'| {name} | ' + ' | '.join(f'{x:.2f}' for x in cells) +
                     ' |')
    lines += [
        '', '"materialised MB" is the float32 size of all IS and IC edge '
        'vectors, which `mse` never forms.', '',
        'Expected orders: KD time and memory O(BC). VRM `mse` time '
        'O(B^2 C + C^2 B) (matrix products), memory O(B^2 + C^2 + BC) '
        '(Gram-sized matrices: about 2 in B where the B x B inter-sample '
        'graph dominates, i.e. small C; at C = 1000 the C x C inter-class '
        'matrices and the O(BC) inputs dominate). VRM '
        '`huber` time O(B^2 C + C^2 B) elementwise work on materialised '
        'edges, computed twice (blocks are recomputed in backward), memory '
        'bounded by the block size plus O(B^2 + C^2 + BC).', ''
    ]
    return '\n'.join(lines)


def plot(rows, batches, classes_list, path):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = dict(zip(classes_list, ['-', '--', ':']))
    colours = dict(kd='tab:gray', vrm_mse='tab:blue', vrm_huber='tab:red')
    for name in LOSSES:
        for c in classes_list:
            pts = [lookup(rows, name, b, c) for b in batches]
            for ax, key in zip(axes, ('ms', 'peak_mb')):
                ax.plot(batches, [max(p[key], 1e-3) for p in pts],
                        styles.get(c, '-'), marker='o', color=colours[name],
                        label=f'{name}, C={c}')
    for ax, title in zip(axes, ('forward + backward (ms, median)',
                                'peak extra memory (MB)')):
        ax.set(xscale='log', yscale='log', xlabel='batch size B',
               title=title)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(True, which='both', alpha=0.3)
    axes[0].legend(fontsize=7, ncol=1)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='B in {64, 256}, C in {10, 1000}')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--budget-s', type=float, default=20.0,
                        help='time per (B, C) after which rounds stop once '
                        '3 are done')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s choice); '
                        'on a shared machine 1 thread is far steadier, as '
                        'a descheduled OpenMP worker stalls every op')
    parser.add_argument('--out-dir', type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    batches = [64, 256] if args.quick else [64, 128, 256, 512]
    classes_list = [10, 1000] if args.quick else [10, 100, 1000]
    meta = metadata(args, device)
    rows = []
    for b in batches:
        for c in classes_list:
            steps = {name: make_step(name, b, c, device) for name in LOSSES}
            times = paired_times(steps, device, args.warmup, args.repeats,
                                 args.budget_s)
            for name, step in steps.items():
                ratios = [t / k for t, k in zip(times[name], times['kd'])]
                rows.append(
                    dict(loss=name, batch=b, classes=c,
                         ms=1e3 * statistics.median(times[name]),
                         ms_min=1e3 * min(times[name]),
                         calls=len(times[name]),
                         ratio_to_kd=statistics.median(ratios),
                         peak_mb=peak_extra_mb(step, device)))
                print(f'{name:10s} B={b:4d} C={c:5d} {rows[-1]["ms"]:10.2f} '
                      f'ms ({len(times[name])} calls) '
                      f'{rows[-1]["peak_mb"]:9.2f} MB', flush=True)
    meta['load_average_end'] = os.getloadavg()

    runs = run_store.record_invocation(
        str(args.out_dir / 'runs' / 'loss_speed'),
        dict(metadata=meta, results=rows))
    write_tables(args.out_dir, tables(runs))
    print(f'wrote {args.out_dir}/loss_speed.{{json,md,png}}')


def grid(rows):
    """The batch sizes and class counts of the rows, in their order."""
    return (list(dict.fromkeys(r['batch'] for r in rows)),
            list(dict.fromkeys(r['classes'] for r in rows)))


def tables(runs):
    """The newest run's record and Markdown table, pure: ``(record,
    markdown)``."""
    _, record = run_store.newest_by_date(runs)
    return record, markdown(record['metadata'], record['results'],
                            *grid(record['results']))


def write_tables(folder, table):
    """``loss_speed.{json,md,png}`` under ``folder``, atomically."""
    record, text = table
    run_store.write_text_atomic(str(folder / 'loss_speed.json'),
                                json.dumps(record, indent=2) + '\n')
    run_store.write_text_atomic(str(folder / 'loss_speed.md'), text)
    tmp = folder / f'.{os.getpid()}.loss_speed.png'
    plot(record['results'], *grid(record['results']), tmp)
    os.replace(tmp, folder / 'loss_speed.png')


if __name__ == '__main__':
    main()
