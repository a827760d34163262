"""What seeding each sample from (seed, epoch, index) costs the pipeline.

The two-view CIFAR training loader (``configs/_base_/datasets/
cifar100_bs64_vrm.py``: crop/flip + RandAugment) on random images, with and
without ``SampleSeededPipeline`` (what ``EpochSeedHook`` wraps the train
pipelines in), at 0 workers so the whole pipeline runs in this process.
Measurements alternate between the two loaders; medians are printed.

    python benchmarks/seeded_pipeline_speed.py [--batches 20] [--repeats 5]
"""
import argparse
import statistics
import tempfile
import time

from mmengine.registry import init_default_scope
from train_speed_data import (
    PIPELINES,
    build_loader,
    loader_ms_per_batch,
    write_cifar100_fixture,
)

from vrm_mm.datasets.seeded_pipeline import (
    seed_everything,
    seed_pipelines,
    shared_epoch,
)

BATCH_SIZE = 64


def seeding_us(calls: int = 2000) -> float:
    """Microseconds of one per-sample ``seed_everything`` call."""
    start = time.perf_counter()
    for index in range(calls):
        seed_everything(0, 0, 1, 0, index, devices=False)
    return 1e6 * (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batches', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    init_default_scope('vrm_mm')
    with tempfile.TemporaryDirectory() as folder:
        write_cifar100_fixture(folder, BATCH_SIZE * (args.batches + 1))
        loaders = {}
        for seeded in (False, True):
            loader = build_loader(PIPELINES['two views'], folder, BATCH_SIZE,
                                  0)
            if seeded:
                epoch = shared_epoch()
                epoch.value = 0
                seed_pipelines(loader.dataset, 0, epoch)
            loaders[seeded] = loader
        ms = {False: [], True: []}
        for _ in range(args.repeats):
            for seeded, loader in loaders.items():
                ms[seeded].append(
                    loader_ms_per_batch(loader, args.batches)[0])
    plain, seeded = (statistics.median(ms[key]) for key in (False, True))
    print(f'two-view CIFAR pipeline, batch {BATCH_SIZE}, 0 workers: '
          f'{plain:.1f} ms per batch unseeded, {seeded:.1f} ms seeded per '
          f'sample ({100 * (seeded / plain - 1):+.1f}%); seed_everything '
          f'{seeding_us():.0f} us per call')


if __name__ == '__main__':
    main()
