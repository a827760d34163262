"""Cost of VRM's cross-rank graphs (``gather='all'``) on 2 CPU ranks.

Two processes (gloo, one thread each) time ``VRMLoss`` forward + backward
per step with ``gather='none'`` (graphs over the local batch) and
``gather='all'`` (over both ranks' batches: all-gather of the four logit
tensors, a graph twice as large, the gradient's all-reduce back), at the
ImageNet configs' per-rank batch of 64 and 1000 classes, and at CIFAR-100's
100 classes. The two settings alternate step by step; medians over steps,
the slower rank per step (the one the other waits for).

Usage::

    python benchmarks/gather_cost.py            # writes results/gather_cost.*

Each call is a run saved as its own file under
``<out-dir>/runs/gather_cost/`` (``run_store``); ``gather_cost.{json,md}``
are the newest run's (``tables``).
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
import torch.distributed as dist
import torch.multiprocessing as mp
from bench_meta import machine_metadata

from vrm_mm.models.losses.vrm import VRMLoss

HERE = Path(__file__).resolve().parent

WORLD = 2
GATHERS = ('none', 'all')


def loss_step(loss, logits):
    """Forward + backward of one loss on fresh leaf logits."""
    leaves = [x.clone().requires_grad_(i < 2) for i, x in enumerate(logits)]
    out = loss(*leaves)
    (out['loss_vrm_is'] + out['loss_vrm_ic']).backward()


def worker(rank, init_file, args, out_file):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=WORLD)
    results = {}
    for classes in args.classes:
        gen = torch.Generator().manual_seed(rank)
        logits = [torch.randn(args.batch_size, classes, generator=gen)
                  for _ in range(4)]
        losses = {g: VRMLoss(gather=g) for g in GATHERS}
        times = {g: [] for g in GATHERS}
        for step in range(args.warmup + args.steps):
            for gather, loss in losses.items():
                dist.barrier()
                tic = time.perf_counter()
                loss_step(loss, logits)
                elapsed = torch.tensor(time.perf_counter() - tic)
                dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
                if step >= args.warmup:
                    times[gather].append(elapsed.item())
        results[classes] = times
    if rank == 0:
        torch.save(results, out_file)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--classes', type=int, nargs='+',
                        default=[1000, 100])
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--out-dir', type=Path, default=HERE / 'results')
    args = parser.parse_args()
    meta = dict(command=shlex.join([Path(sys.executable).name, *sys.argv]),
                **machine_metadata('cpu'), world_size=WORLD, backend='gloo',
                batch_per_rank=args.batch_size, steps=args.steps,
                load_average_start=os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        out_file = os.path.join(tmp, 'times.pt')
        mp.spawn(worker, args=(os.path.join(tmp, 'init'), args, out_file),
                 nprocs=WORLD)
        times = torch.load(out_file)
    meta['load_average_end'] = os.getloadavg()
    rows = []
    for classes, per_gather in times.items():
        ms = {g: 1e3 * statistics.median(v) for g, v in per_gather.items()}
        rows.append(dict(classes=classes, none_ms=ms['none'],
                         all_ms=ms['all'], extra_ms=ms['all'] - ms['none']))
    runs = run_store.record_invocation(
        str(args.out_dir / 'runs' / 'gather_cost'),
        dict(metadata=meta, rows=rows))
    result, text = tables(runs)
    run_store.write_text_atomic(str(args.out_dir / 'gather_cost.json'),
                                json.dumps(result, indent=2) + '\n')
    run_store.write_text_atomic(str(args.out_dir / 'gather_cost.md'), text)
    print(text)


def tables(runs):
    """The newest run's record and Markdown table, pure."""
    _, result = run_store.newest_by_date(runs)
    return result, markdown(result)


def markdown(result):
    meta = result['metadata']
    load = ', '.join(f'{x:.1f}' for x in meta['load_average_start'])
    lines = [
        "# VRM's cross-rank graphs: gather='all' against 'none'", '',
        f"`{meta['command']}` on {meta['cpu']} ({meta['nproc']} cores), "
        f"torch {meta['torch']}, commit {meta['commit']}, {meta['date']}; "
        f'load average {load} at the start.', '',
        f"{meta['world_size']} CPU ranks ({meta['backend']}, 1 thread "
        f"each), {meta['batch_per_rank']} images per rank (two views), "
        '`VRMLoss` forward + backward; wall ms per step, median of '
        f"{meta['steps']} alternating steps, the slower rank per step.", '',
        "| classes | gather='none' ms | gather='all' ms | extra ms |",
        '|---|---|---|---|'
    ]
    for row in result['rows']:
        lines.append(f"| {row['classes']} | {row['none_ms']:.2f} | "
                     f"{row['all_ms']:.2f} | {row['extra_ms']:+.2f} |")
    return '\n'.join(lines + [''])


if __name__ == '__main__':
    main()
