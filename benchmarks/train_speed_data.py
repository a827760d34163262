"""Data-pipeline part of ``train_speed.py``: one view against two views.

The training data loaders of ``configs/_base_/datasets/cifar100_bs64.py``
and ``cifar100_bs64_vrm.py`` (RealVirtualViews: crop/flip + RandAugment),
built with ``Runner.build_dataloader`` on random 32 x 32 uint8 images
written in the cifar-100-python layout that ``LocalCIFAR100`` reads.
"""

import os
import pickle
import statistics
import time

import numpy as np
from mmengine.runner import Runner
from train_speed_steps import base_cfg

PIPELINES = {
    'one view': 'datasets/cifar100_bs64.py',
    'two views': 'datasets/cifar100_bs64_vrm.py',
}
WORKERS = (0, 2)


def write_cifar100_fixture(root, num_images):
    """``<root>/cifar-100-python/{train,meta}`` of random images."""
    folder = os.path.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    train = dict(
        filenames=[f'img_{i}.png' for i in range(num_images)],
        batch_label='train batch',
        fine_labels=rng.integers(0, 100, num_images).tolist(),
        coarse_labels=rng.integers(0, 20, num_images).tolist(),
        data=rng.integers(0, 256, (num_images, 3072), dtype=np.uint8))
    meta = dict(fine_label_names=[f'class{i}' for i in range(100)],
                coarse_label_names=[f'super{i}' for i in range(20)])
    for name, content in (('train', train), ('meta', meta)):
        with open(os.path.join(folder, name), 'wb') as f:
            pickle.dump(content, f, protocol=2)


def build_loader(config, root, batch_size, workers):
    cfg = base_cfg(config).to_dict()['train_dataloader']
    cfg.update(batch_size=batch_size, num_workers=workers,
               persistent_workers=False)
    cfg['dataset'].update(data_root=root, verify_md5=False)
    return Runner.build_dataloader(cfg, seed=0)


def prefetched(loader):
    """Batches a loader has in flight ahead of its consumer."""
    return loader.num_workers * (loader.prefetch_factor or 0)


def loader_ms_per_batch(loader, num_batches):
    """Steady-state wall and process CPU ms per batch of the loader alone.

    The first batch (worker start-up) and the batches the workers had
    prefetched meanwhile are read before the clocks start. The CPU time is
    this process's (all threads): the whole pipeline at 0 workers, only
    receiving the batches with workers.
    """
    batches = iter(loader)
    for _ in range(1 + prefetched(loader)):
        next(batches)
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(num_batches):
        next(batches)
    return (1e3 * (time.perf_counter() - start) / num_batches,
            1e3 * (time.process_time() - cpu_start) / num_batches)


def loaded_data_time(loader, step, num_batches):
    """``data_time`` and step time (ms) of a loader feeding ``step``, as
    mmengine logs them: the wait for the next batch, then the step."""
    batches = iter(loader)
    step(next(batches))
    data, steps = [], []
    for _ in range(num_batches):
        tic = time.perf_counter()
        batch = next(batches)
        toc = time.perf_counter()
        step(batch)
        data.append(1e3 * (toc - tic))
        steps.append(1e3 * (time.perf_counter() - toc))
    return dict(data_time_ms_median=statistics.median(data),
                data_time_ms_max=max(data),
                step_ms_median=statistics.median(steps),
                batches=num_batches)


def pipeline_speed(folder, batch_size, num_batches, vrm_step, repeats=3):
    """ms per batch of each pipeline at 0 and 2 workers (medians over
    ``repeats`` interleaved measurements), and the data time of the
    two-view loader (2 workers) feeding the VRM step."""
    root = os.path.join(folder, 'cifar100')
    # enough for the skipped batches (torch's prefetch_factor 2)
    num_images = batch_size * (num_batches + 1 + 2 * max(WORKERS))
    write_cifar100_fixture(root, num_images)
    samples = {(name, workers): []
               for name in PIPELINES for workers in WORKERS}
    for _ in range(repeats):
        for name, workers in samples:
            loader = build_loader(PIPELINES[name], root, batch_size, workers)
            samples[name, workers].append(
                loader_ms_per_batch(loader, num_batches))
    rows = []
    for (name, workers), pairs in samples.items():
        ms, cpu_ms = (statistics.median(values) for values in zip(*pairs))
        rows.append(dict(pipeline=name, config=PIPELINES[name],
                         workers=workers, ms_per_batch=ms,
                         main_cpu_ms_per_batch=cpu_ms, batches=num_batches,
                         repeats=repeats))
        print(f'{name}, {workers} workers: {ms:.1f} ms per batch', flush=True)
    loader = build_loader(PIPELINES['two views'], root, batch_size, 2)
    loaded = loaded_data_time(loader, vrm_step, num_batches - 1)
    return dict(loader_alone=rows, vrm_with_two_view_loader=loaded,
                images=num_images)
