"""Training-step speed: student alone, KD, KD on two views and VRM.

The CIFAR pair ResNet56 -> ResNet20 at batch 64, 32 x 32, built through the
registry from the project's configs (``configs/_base_/models/cifar100``,
``configs/_base_/distillers/{kd,vrm}.py``, the data preprocessors of
``configs/_base_/datasets/cifar100_bs64{,_vrm}.py``, the SGD recipe of
``configs/_base_/schedules/cifar100_bs64_240e.py``), with a freshly built
ResNet56 saved to a temporary checkpoint as the teacher.

One step is ``model.train_step(batch, optim_wrapper)`` with a real mmengine
``OptimWrapper``, i.e. what the Runner runs per iteration: the data
preprocessor (uint8 -> normalised float), forward, losses, backward and the
SGD step. The batches are collated uint8 tensors held in memory (what the
data loader yields), so no data loading is timed there. Images/s counts
source images: a two-view batch is 64 images (128 views).

The methods run interleaved in rounds (a, b, c, d, a, b, ...) after
``--warmup`` steps each; speeds are medians over rounds, and the VRM
overhead is the median of the per-round ratios VRM / (KD on two views).
On CPU with 1 thread every step is also timed in CPU time of the calling
thread, where all of its work runs: unlike the wall clock it does not count
the time the thread waits for a core, so its ratios are far steadier on a
shared machine.
A second, hooked pass splits each step into phases (see
``train_speed_steps.PhaseTimer``). The data pipeline part times the
one-view and the two-view training pipelines through
``Runner.build_dataloader`` on a fixture in the cifar-100-python layout
(``train_speed_data``).

Timed in the same rounds: the floors (``train_speed_floor``, a
hand-written PyTorch loop on the very same modules), whose ratios are the
framework's own overhead, and a cost row per distillation method built
from its ResNet56 -> ResNet20 experiment config (``train_speed_methods``,
found by glob), with the peak memory of every step.

Usage::

    python benchmarks/train_speed.py             # full run, 1 torch thread
    python benchmarks/train_speed.py --quick     # fewer rounds and batches
    python benchmarks/train_speed.py --methods-only             # cost rows
    python benchmarks/train_speed.py --methods-only --methods sp pkt
    python benchmarks/train_speed.py --device cuda --threads 4

Each call is a run saved as its own file under
``<out-dir>/runs/train_speed/`` (``run_store``); ``train_speed.{json,md,png}``
are the newest full run's, ``train_speed_methods.{json,md}`` the newest
run's cost rows (``tables``), so a ``--methods-only`` call never loses a
full run.

``--threads`` defaults to 1: on a shared 2-core machine a descheduled
OpenMP worker stalls every op, so 1 thread gives far steadier numbers
(absolute speeds are lower than with 2 threads).
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import run_store
import torch
from bench_meta import machine_metadata
from loss_speed import peak_extra_mb
from mmengine.registry import init_default_scope
from train_speed_data import pipeline_speed
from train_speed_floor import FLOOR_OF, FLOORS, FloorStep
from train_speed_methods import method_step, methods_markdown, select
from train_speed_report import markdown, plot
from train_speed_steps import (
    METHODS,
    PHASES,
    Step,
    step_breakdown,
    sync,
    teacher_checkpoint,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / 'results'
# what only a full run (not --methods-only) records
FULL_ONLY = ('breakdown', 'phases', 'breakdown_clock', 'pipeline')


def timed_rounds(steps, device, warmup, rounds, budget_s, cpu_clock):
    """Seconds per step of every method, the methods interleaved per round.

    Rounds stop after ``rounds``, or once ``budget_s`` is spent and at least
    3 rounds are done.

    Returns:
        dict: ``'wall'`` (and with ``cpu_clock`` ``'cpu'``, the calling
        thread's CPU time) -> method -> seconds per round.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    sync(device)
    clocks = ('wall', 'cpu') if cpu_clock else ('wall', )
    times = {clock: {name: [] for name in steps} for clock in clocks}
    start = time.perf_counter()
    for done in range(rounds):
        if done >= 3 and time.perf_counter() - start > budget_s:
            break
        for name, step in steps.items():
            sync(device)
            tic, cpu_tic = time.perf_counter(), time.thread_time()
            step()
            sync(device)
            times['wall'][name].append(time.perf_counter() - tic)
            if cpu_clock:
                times['cpu'][name].append(time.thread_time() - cpu_tic)
        print(f'round {done + 1}: ' + ', '.join(
            f'{n} {1e3 * t[-1]:.0f} ms' for n, t in times['wall'].items()),
              flush=True)
    return times


def quartiles(values):
    q1, q2, q3 = statistics.quantiles(values, n=4, method='inclusive')
    return dict(median=q2, q1=q1, q3=q3, min=min(values), max=max(values))


def summarise(times, batch_size, pairs):
    """Per method: median ms [quartiles] per clock, images/s (wall clock);
    per clock: quartiles of the per-round ratios."""
    speed = {}
    for name, walls in times['wall'].items():
        speed[name] = dict(images_per_s=batch_size / statistics.median(walls),
                           rounds=len(walls))
        for clock, per_method in times.items():
            q = quartiles(per_method[name])
            speed[name][clock] = dict(
                ms=1e3 * q['median'], ms_q1=1e3 * q['q1'],
                ms_q3=1e3 * q['q3'],
                ms_all=[round(1e3 * t, 2) for t in per_method[name]])
    ratios = {
        clock: {
            f'{num}/{den}': quartiles(
                [a / b for a, b in zip(per_method[num], per_method[den])])
            for num, den in pairs if num in per_method
        }
        for clock, per_method in times.items()
    }
    return speed, ratios


def ratio_pairs(floor_of):
    """(numerator, denominator) of the per-round ratios to report, given
    each timed step's floor."""
    pairs = [('vrm', 'kd_2views'), ('kd_2views', 'kd'), ('kd', 'student')]
    pairs += [(name, 'kd_2views') for name in floor_of
              if name.startswith('method:')]
    pairs += list(floor_of.items())
    timed = set(floor_of) | set(floor_of.values())
    return [pair for pair in pairs if set(pair) <= timed]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='4 rounds, 2 breakdown rounds, 4 pipeline '
                        'batches: a smoke run, not a measurement')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1, steadier on a '
                        'shared machine)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=30)
    parser.add_argument('--budget-s', type=float, default=200.0,
                        help='time after which step rounds stop once 3 are '
                        'done')
    parser.add_argument('--breakdown-rounds', type=int, default=7)
    parser.add_argument('--pipeline-batches', type=int, default=20,
                        help='timed batches per pipeline and worker count')
    parser.add_argument('--methods', nargs='+', metavar='METHOD',
                        help='cost rows of these methods only (default: '
                        'every ResNet56 -> ResNet20 experiment config)')
    parser.add_argument('--methods-only', action='store_true',
                        help='time only the cost rows, KD on two views and '
                        'the floors; write train_speed_methods.{json,md}')
    parser.add_argument('--out-dir', type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.breakdown_rounds = 4, 2
        args.pipeline_batches, args.warmup = 4, 1
    return args


def build_steps(args, folder, device):
    """The timed steps (project methods, floors, cost rows) and the floor
    of each non-floor step."""
    core = ('kd_2views', ) if args.methods_only else tuple(METHODS)
    steps = {
        name: Step.of_method(name, folder, args.batch_size, device)
        for name in dict.fromkeys(('kd', 'kd_2views', *core))
    }
    for floor, (source, _) in FLOORS.items():
        if source in steps:
            steps[floor] = FloorStep(steps[source])
    if args.methods_only:
        del steps['kd']  # only its floor is timed
    floor_of = {n: f for n, f in FLOOR_OF.items() if n in steps}
    failed = {}
    for method, path in select(args.methods).items():
        try:
            step = method_step(path, teacher_checkpoint(folder),
                               args.batch_size, device)
            step()  # a method that needs a Runner hook fails here
        except Exception as error:  # report it, time the others
            failed[method] = f'{type(error).__name__}: {error}'
            print(f'{method}: cannot build ({failed[method]})', flush=True)
            continue
        steps[f'method:{method}'] = step
        floor_of[f'method:{method}'] = ('floor_2views' if step.num_views == 2
                                        else 'floor')
    return steps, floor_of, failed


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    init_default_scope('vrm_mm')
    device = torch.device(args.device)
    # all the work of a 1-thread CPU step runs on the calling thread
    cpu_clock = device.type == 'cpu' and args.threads == 1
    meta = dict(command=shlex.join([Path(sys.executable).name, *sys.argv]),
                **machine_metadata(args.device),
                torch_threads=torch.get_num_threads(), quick=args.quick,
                batch_size=args.batch_size, warmup=args.warmup,
                load_average_start=os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        steps, floor_of, failed = build_steps(args, tmp, device)
        times = timed_rounds(steps, device, args.warmup, args.rounds,
                             args.budget_s, cpu_clock)
        speed, ratios = summarise(times, args.batch_size,
                                  ratio_pairs(floor_of))
        for name, step in steps.items():
            speed[name]['peak_mib'] = max(
                peak_extra_mb(step, device) for _ in range(2))
        if not args.methods_only:
            core = {name: steps[name] for name in METHODS}
            breakdown = step_breakdown(core, device, args.breakdown_rounds,
                                       cpu_clock)
            pipeline = pipeline_speed(tmp, args.batch_size,
                                      args.pipeline_batches, steps['vrm'])
    meta['load_average_end'] = os.getloadavg()
    result = dict(metadata=meta, speed=speed, ratios=ratios,
                  floor_of=floor_of, failed_methods=failed)
    if not args.methods_only:
        result.update(breakdown=breakdown, phases=list(PHASES),
                      breakdown_clock='cpu' if cpu_clock else 'wall',
                      pipeline=pipeline)
    runs = run_store.record_invocation(
        str(args.out_dir / 'runs' / 'train_speed'), result)
    written = write_tables(args.out_dir, tables(runs))
    print('wrote', ', '.join(written))


def tables(runs):
    """The tables of the runs, pure: ``{stem: (result, markdown)}`` with
    ``train_speed_methods`` from the newest run and ``train_speed`` from
    the newest full run (one with a ``breakdown``); a stem without such a
    run is left out."""
    out = {}
    newest = run_store.newest_by_date(runs)
    if newest:
        rows = {k: v for k, v in newest[1].items() if k not in FULL_ONLY}
        out['train_speed_methods'] = (rows, methods_markdown(rows))
    full = run_store.newest_by_date(
        {name: run for name, run in runs.items() if 'breakdown' in run})
    if full:
        out['train_speed'] = (full[1], markdown(full[1]))
    return out


def write_tables(folder, found):
    """``<stem>.json`` and ``<stem>.md`` (and ``train_speed.png``) under
    ``folder``, atomically; prints the texts."""
    written = []
    for stem, (result, text) in found.items():
        run_store.write_text_atomic(str(folder / f'{stem}.json'),
                                    json.dumps(result, indent=2) + '\n')
        run_store.write_text_atomic(str(folder / f'{stem}.md'), text)
        print(text)
        written.append(str(folder / f'{stem}.{{json,md}}'))
    if 'train_speed' in found:
        tmp = folder / f'.{os.getpid()}.train_speed.png'
        plot(found['train_speed'][0], tmp)
        os.replace(tmp, folder / 'train_speed.png')
    return written


if __name__ == '__main__':
    main()
