"""The checks of ``gpu_check.sh`` on a CUDA GPU (see that script).

``--ddp`` (under ``torchrun``): a VRM step with ``gather='all'`` through
mmengine's DDP wrapper on NCCL. Otherwise: the AMP step, the distiller's
GPU options against the plain step, and images/s of student / KD / KD on
two views / VRM at CIFAR size and at 224 px; each check records its error
instead of stopping the others.

A call is one run, saved as its own file under
``<out-dir>/runs/gpu_check/`` (``run_store``) after every check;
``gpu_check.{json,md}`` are the newest run's (``tables``).
"""

import argparse
import json
import os
import tempfile
import time
import traceback
from pathlib import Path

import run_store
import torch
from bench_meta import machine_metadata
from mmengine.registry import init_default_scope
from train_speed import summarise, timed_rounds
from train_speed_steps import (
    METHODS,
    Step,
    base_cfg,
    model_cfg,
    sync,
    teacher_checkpoint,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / 'results'
# this call's run: its file is rewritten after each check
RUN_NAME = run_store.utc_stamp()
# option -> (distiller keys, rtol of the first step's losses vs plain)
OPTIONS = {
    'channels_last': (dict(channels_last=True), 1e-2),
    'teacher bf16': (dict(teacher_autocast='bfloat16'), 5e-2),
    'compile': (dict(compile=True), 1e-2),
}


def check(results, name, fn, out_dir=None):
    """Run one check; keep its result or its error (and, with
    ``out_dir``, write the results so far)."""
    start = time.perf_counter()
    try:
        results[name] = dict(status='ok', **fn())
    except Exception as error:
        results[name] = dict(status='FAILED', error=repr(error),
                             trace=traceback.format_exc(limit=4))
    results[name]['seconds'] = round(time.perf_counter() - start, 1)
    print(f"{name}: {results[name]['status']}", flush=True)
    if out_dir is not None:
        write(out_dir, results)


def write(out_dir, results, name=None):
    """Save this call's run (with the torchrun part, if it ran) as its own
    file, then ``gpu_check.{json,md}`` of the newest run."""
    ddp = out_dir / 'gpu_check_ddp.json'
    checks = dict(json.loads(ddp.read_text()) if ddp.exists() else {},
                  **results)
    folder = str(out_dir / 'runs' / 'gpu_check')
    run_store.write_run(folder, name or RUN_NAME,
                        dict(metadata=machine_metadata('cuda'),
                             checks=checks))
    result, text = tables(run_store.read_runs(folder))
    run_store.write_text_atomic(str(out_dir / 'gpu_check.json'),
                                json.dumps(result, indent=2) + '\n')
    run_store.write_text_atomic(str(out_dir / 'gpu_check.md'), text)


def tables(runs):
    """The newest run's record and Markdown table, pure."""
    _, result = run_store.newest_by_date(runs)
    return result, markdown(result)


def first_losses(step):
    return {k: v.item() for k, v in step().items() if k.startswith('loss')}


def amp_step(folder, device, dtype):
    schedule = base_cfg('schedules/cifar100_bs64_240e.py')
    wrapper = dict(schedule.optim_wrapper, type='AmpOptimWrapper',
                   dtype=dtype)
    step = Step(model_cfg('kd_2views', teacher_checkpoint(folder)), wrapper,
                64, device, 2)
    losses = [first_losses(step) for _ in range(3)]
    assert all(torch.isfinite(torch.tensor(v['loss'])) for v in losses)
    return dict(losses=losses)


def option_step(folder, device, options, rtol):
    plain = first_losses(Step.of_method('kd_2views', folder, 64, device))
    step = Step.of_method('kd_2views', folder, 64, device, **options)
    got = first_losses(step)
    for key, value in plain.items():
        assert abs(got[key] - value) <= rtol * abs(value) + 1e-4, (
            f'{key}: {got[key]} vs plain {value}')
    times = timed_rounds(dict(step=step), device, 3, 10, 30.0, False)
    ms = 1e3 * sorted(times['wall']['step'])[len(times['wall']['step']) // 2]
    return dict(losses=got, plain=plain, ms_per_step=ms,
                images_per_s=64e3 / ms)


def speeds(folder, device, pair):
    steps = {m: Step.of_method(m, folder, 64, device, pair) for m in METHODS}
    times = timed_rounds(steps, device, 3, 15, 60.0, False)
    speed, _ = summarise(times, 64, [])
    return {m: dict(images_per_s=s['images_per_s'], ms=s['wall']['ms'])
            for m, s in speed.items()}


def ddp_check():
    from mmengine.model import MMDistributedDataParallel
    torch.distributed.init_process_group('nccl')
    rank = int(os.environ['LOCAL_RANK'])
    device = torch.device('cuda', rank)
    torch.cuda.set_device(device)
    with tempfile.TemporaryDirectory() as tmp:
        step = Step.of_method('vrm', tmp, 64, device)
        step.model.distill_losses['loss_vrm'].gather = 'all'
        ddp = MMDistributedDataParallel(module=step.model,
                                        device_ids=[rank])
        losses = [ddp.train_step(step.batch, step.optim_wrapper)['loss']
                  .item() for _ in range(3)]
    sync(device)
    torch.distributed.destroy_process_group()
    return dict(world_size=int(os.environ['WORLD_SIZE']), losses=losses,
                backend='nccl')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ddp', action='store_true')
    parser.add_argument('--out-dir', type=Path, default=RESULTS)
    args = parser.parse_args()
    init_default_scope('vrm_mm')
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    if args.ddp:
        check(results, 'one-GPU torchrun (NCCL), VRM gather=all', ddp_check)
        (args.out_dir / 'gpu_check_ddp.json').write_text(
            json.dumps(results, indent=2) + '\n')
        return
    device = torch.device('cuda')
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ('float16', 'bfloat16'):
            check(results, f'AMP step ({dtype})',
                  lambda d=dtype: amp_step(tmp, device, d), args.out_dir)
        for pair, label in (('cifar', 'ResNet56 -> ResNet20, 32 px'),
                            ('imagenet', 'ResNet34 -> ResNet18, 224 px')):
            check(results, f'images/s, {label}, batch 64',
                  lambda p=pair: speeds(tmp, device, p), args.out_dir)
        # compile last: its first step builds kernels (a minute or two)
        for name, (options, rtol) in OPTIONS.items():
            check(results, name,
                  lambda o=options, r=rtol: option_step(tmp, device, o, r),
                  args.out_dir)
    print((args.out_dir / 'gpu_check.md').read_text())


def markdown(result):
    meta = result['metadata']
    lines = [f"# GPU check: {meta['device']}", '',
             f"torch {meta['torch']}, commit {meta['commit']}, "
             f"{meta['date']} (`bash benchmarks/gpu_check.sh`).", '',
             '| check | status | s | result |', '|---|---|---|---|']
    for name, row in result['checks'].items():
        lines.append(f"| {name} | {row['status']} | {row['seconds']} | "
                     f'{detail(row)} |')
    return '\n'.join(lines + [''])


def detail(row):
    """A check's error, or its figures in one cell."""
    if 'error' in row:
        return row['error']
    parts = []
    for key, value in row.items():
        if key in ('status', 'seconds'):
            continue
        if isinstance(value, dict) and 'images_per_s' in value:
            parts.append(f"{key} {value['images_per_s']:.0f} img/s")
        elif isinstance(value, float):
            parts.append(f'{key} {value:.1f}')
        else:
            parts.append(f'{key} {value}')
    return '; '.join(parts)


if __name__ == '__main__':
    main()
