"""Markdown tables and the bar chart of ``train_speed.py``'s results."""

from train_speed_floor import FLOORS
from train_speed_steps import METHODS, PHASES

TARGET = 0.05  # issue 7: VRM at most 5% slower than KD on two views


def _load(load):
    return ', '.join(f'{x:.1f}' for x in load)


def own_overhead(breakdown):
    """What VRM's own loss adds to a KD-on-two-views step.

    Returns:
        dict: loss forward + backward (ms) of both methods, their
        difference and that difference as a share of the KD step.
    """
    loss_ms = {
        name: breakdown[name]['loss forward'] +
        breakdown[name]['loss backward']
        for name in ('kd_2views', 'vrm')
    }
    extra = loss_ms['vrm'] - loss_ms['kd_2views']
    return dict(kd_2views_loss_ms=loss_ms['kd_2views'],
                vrm_loss_ms=loss_ms['vrm'], extra_ms=extra,
                extra_share=extra / breakdown['kd_2views']['total'])


CLOCKS = dict(wall='wall clock', cpu='CPU time of the calling thread')
FLOOR_TARGET = 0.05  # issue 15: a step at most 5% above its floor


def label(name):
    """A timed step's label in the tables."""
    if name.startswith('method:'):
        return name.split(':', 1)[1].upper() + ' (experiment config)'
    return METHODS.get(name) or FLOORS[name][1]


def ratio_cell(ratio):
    """``**median** [IQR], range`` of a per-round ratio."""
    return (f"**{ratio['median']:.3f}** [{ratio['q1']:.3f}, "
            f"{ratio['q3']:.3f}], {ratio['min']:.2f}-{ratio['max']:.2f}")


def ms_cell(row):
    """``median [IQR]`` milliseconds of one clock."""
    return f"{row['ms']:.0f} [{row['ms_q1']:.0f}, {row['ms_q3']:.0f}]"


def _speed_table(result):
    speed, floor_of = result['speed'], result['floor_of']
    clocks = [c for c in CLOCKS if c in speed['student']]
    main = clocks[-1]
    lines = [
        '| step | images / s | ' + ' | '.join(
            f'{CLOCKS[c]}: ms / step, median [IQR]' for c in clocks) +
        ' | wall-clock step vs student alone | peak MiB / step | '
        f'vs its floor ({CLOCKS[main]}, per-round median) |',
        '|---|---|' + '---|' * (len(clocks) + 3)
    ]
    for name in (*METHODS, *FLOORS):
        row = speed[name]
        floor = floor_of.get(name)
        versus = (f"{result['ratios'][main][f'{name}/{floor}']['median']:.3f}"
                  f'x ({floor})' if floor else '')
        lines.append(
            f"| {label(name)} | {row['images_per_s']:.1f} | " +
            ' | '.join(ms_cell(row[c]) for c in clocks) +
            f" | {row['wall']['ms'] / speed['student']['wall']['ms']:.2f}x"
            f" | {row['peak_mib']:.0f} | {versus} |")
    lines += ['', f"{speed['student']['rounds']} rounds. Per-round ratios "
              '(median [IQR], range):', '',
              '| ratio | ' + ' | '.join(CLOCKS[c] for c in clocks) + ' |',
              '|---|' + '---|' * len(clocks)]
    for key in result['ratios']['wall']:
        num, den = key.split('/')
        if num.startswith('method:'):
            continue
        cells = [ratio_cell(result['ratios'][c][key]) for c in clocks]
        lines.append(f'| {label(num)} / {label(den)} | ' +
                     ' | '.join(cells) + ' |')
    return lines


def floor_verdict(result):
    """One sentence per project step: its ratio to its floor vs target."""
    clock = 'cpu' if 'cpu' in result['ratios'] else 'wall'
    parts = []
    for name, floor in result['floor_of'].items():
        if name.startswith('method:'):
            continue
        ratio = result['ratios'][clock][f'{name}/{floor}']['median']
        parts.append(f'{label(name)} {ratio:.3f}x')
    return (f'Ratio to the floor ({CLOCKS[clock]}): ' + '; '.join(parts) +
            f' (target: at most {1 + FLOOR_TARGET:.2f}x).')


def _breakdown_table(result):
    breakdown = result['breakdown']
    lines = [
        '| method | ' + ' | '.join(PHASES) + ' | total |',
        '|---|' + '---|' * (len(PHASES) + 1)
    ]
    for name, label in METHODS.items():
        cells = [f'{breakdown[name][p]:.1f}' for p in (*PHASES, 'total')]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    own = own_overhead(breakdown)
    lines += [
        '', f"VRM's own cost: its loss forward + backward takes "
        f"{own['vrm_loss_ms']:.1f} ms against {own['kd_2views_loss_ms']:.1f}"
        f" ms for the two KD terms, {own['extra_ms']:+.1f} ms, i.e. "
        f"**{100 * own['extra_share']:+.2f}%** of a KD-on-two-views step "
        f"(target: under {100 * TARGET:.0f}%)."
    ]
    return lines


def _pipeline_table(result):
    pipe = result['pipeline']
    alone = {(r['pipeline'], r['workers']): r for r in pipe['loader_alone']}
    lines = [
        '| pipeline | workers | wall ms / batch of '
        f"{result['metadata']['batch_size']} | vs one view | main-process "
        'CPU ms / batch |', '|---|---|---|---|---|'
    ]
    for (name, workers), row in alone.items():
        ratio = row['ms_per_batch'] / alone[('one view',
                                             workers)]['ms_per_batch']
        lines.append(f"| {name} (`{row['config']}`) | {workers} | "
                     f"{row['ms_per_batch']:.1f} | {ratio:.2f}x | "
                     f"{row['main_cpu_ms_per_batch']:.1f} |")
    loaded = pipe['vrm_with_two_view_loader']
    supply = alone[('two views', 2)]['ms_per_batch']
    vrm_ms = result['speed']['vrm']['wall']['ms']
    verdict = 'keep up with' if supply < vrm_ms else 'do NOT keep up with'
    lines += [
        '', f'Two workers alone deliver a two-view batch every {supply:.0f} '
        f'ms; the VRM step takes {vrm_ms:.0f} ms, so they {verdict} it. '
        f'Feeding the VRM step ({loaded["batches"]} steps, 2 workers '
        f'sharing the cores with training): `data_time` median '
        f'{loaded["data_time_ms_median"]:.1f} ms (max '
        f'{loaded["data_time_ms_max"]:.1f} ms) against a step of '
        f'{loaded["step_ms_median"]:.0f} ms.'
    ]
    return lines


def run_line(meta):
    """Command, machine, torch, commit, date and load of a run."""
    return (f"`{meta['command']}` on {meta['device']} ({meta['cpu']}, "
            f"{meta['nproc']} cores, {meta['torch_threads']} torch threads), "
            f"torch {meta['torch']}, commit {meta['commit']}, {meta['date']}"
            + (' -- **quick run: too few rounds to quote**' if meta['quick']
               else '') + '. Load average (1, 5, 15 min) '
            f"{_load(meta['load_average_start'])} at the start, "
            f"{_load(meta['load_average_end'])} at the end.")


def markdown(result):
    meta = result['metadata']
    clock = 'cpu' if 'cpu' in result['ratios'] else 'wall'
    ratio = result['ratios'][clock]['vrm/kd_2views']['median']
    lines = [
        '# Training-step speed: student, KD, KD on two views, VRM', '',
        run_line(meta), '',
        'CIFAR ResNet56 (teacher, frozen) -> ResNet20 (student), batch '
        f"{meta['batch_size']}, 32 x 32, 100 classes. One step = "
        '`model.train_step(batch, optim_wrapper)` with an mmengine '
        '`OptimWrapper` (SGD, momentum 0.9, wd 5e-4): data preprocessor, '
        'forward, losses, backward, SGD step. Batches are collated uint8 '
        'tensors in memory; images/s counts images (a two-view batch holds '
        f"{meta['batch_size']} images, twice as many views). Methods "
        'interleaved per round after '
        f"{meta['warmup']} warm-up steps each; the machine is shared, "
        'compare within this run. The floors are a hand-written PyTorch '
        'loop on the very same student and teacher modules '
        '(`benchmarks/train_speed_floor.py`): uint8 -> normalised float, '
        'per view the teacher under `no_grad` then the student, CE + KD, '
        'backward, `torch.optim.SGD` step.', '', '## Speed', '',
        *_speed_table(result), '',
        f'VRM / (KD on two views) = {ratio:.3f} ({CLOCKS[clock]}): '
        + ('within' if ratio - 1 <= TARGET else 'above')
        + f' the {100 * TARGET:.0f}% target. ' + floor_verdict(result), '',
        'Peak MiB / step: the most memory a step holds above what is live '
        'when it starts (CPU: the torch profiler\'s allocation events, '
        '`loss_speed.peak_extra_mb`; CUDA: the allocator\'s peak). Every '
        "distillation method's step: `train_speed_methods.md`.", '',
        '## Where the time goes (ms, medians over hooked steps, '
        f"{CLOCKS[result['breakdown_clock']]})", '',
        'Forward phases from module hooks; `loss backward` ends when '
        "autograd reaches the student head's output, `student backward` "
        'is the rest of autograd; `optimizer step` includes `zero_grad`; '
        '`other` is the remainder (loss parsing, bookkeeping).', '',
        *_breakdown_table(result), '', '## Data pipeline', '',
        f"Random uint8 images ({result['pipeline']['images']}) in the "
        'cifar-100-python layout read by `LocalCIFAR100`, loaders from '
        '`Runner.build_dataloader` with the configs\' training pipelines; '
        'ms per batch in steady state (first batch, with worker start-up, '
        'and the batches prefetched meanwhile excluded), median of '
        f"{result['pipeline']['loader_alone'][0]['repeats']} interleaved "
        'measurements. At 0 workers the '
        'main-process CPU time is the whole pipeline\'s cost; with workers '
        'it is only the cost of receiving their batches.', '',
        *_pipeline_table(result), ''
    ]
    return '\n'.join(lines)


def plot(result, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    speed = result['speed']
    names = list(METHODS)
    batch = result['metadata']['batch_size']
    clocks = [c for c in CLOCKS if c in speed['student']]
    width = 0.8 / len(clocks)
    colours = ['tab:gray', 'tab:olive', 'tab:green', 'tab:blue']
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, clock in enumerate(clocks):
        rows = [speed[n][clock] for n in names]
        values = [batch * 1e3 / r['ms'] for r in rows]
        low = [v - batch * 1e3 / r['ms_q3'] for v, r in zip(values, rows)]
        high = [batch * 1e3 / r['ms_q1'] - v for v, r in zip(values, rows)]
        xs = [x + (i - (len(clocks) - 1) / 2) * width
              for x in range(len(names))]
        bars = ax.bar(xs, values, width, yerr=[low, high], capsize=3,
                      color=colours, alpha=1.0 if i == 0 else 0.5,
                      hatch=None if i == 0 else '//',
                      label=f'from {CLOCKS[clock]}')
        ax.bar_label(bars, fmt='%.0f', label_type='center')
    ax.set_xticks(range(len(names)),
                  [METHODS[n].replace(' (', '\n(') for n in names],
                  fontsize=8)
    meta = result['metadata']
    ax.set(ylabel='images / s (median, IQR)',
           title=f"ResNet56 -> ResNet20, batch {batch}, {meta['device']}, "
           f"{meta['torch_threads']} thread(s)")
    ax.legend(fontsize=8)
    ax.grid(True, axis='y', alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
