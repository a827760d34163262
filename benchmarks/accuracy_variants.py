"""Protocol variants of the accuracy benchmark, for VRM's analyses.

``python benchmarks/accuracy.py --methods kd vrm --variant bs32`` trains
the methods with one protocol setting changed; the runs are kept as
``<method>@<variant>_seed<s>`` next to the default runs, which serve as
the sweeps' default points (batch 64; RandAugment 2 ops at magnitude 10,
no Cutout: ``configs/_base_/datasets/fashion_mnist_bs64_vrm.py``).
"""
from typing import Callable, Dict

from accuracy_methods import HOOK_LENGTHS, iterations_per_epoch
from mmengine.config import Config

from vrm_mm.datasets.seeded_pipeline import dataset_cfgs

DEFAULT_BATCH = 64


def batch_size(size: int) -> Callable[[Config], Config]:
    """Batch ``size`` with the lr scaled linearly (Goyal et al., 2017);
    a warm-up or curriculum counted in iterations (accuracy_methods.py)
    keeps its share of the training: its length scales with the
    iterations per epoch."""
    def apply(cfg: Config) -> Config:
        loader = cfg.train_dataloader
        before = iterations_per_epoch(loader)
        cfg.optim_wrapper.optimizer.lr *= size / loader.batch_size
        loader.batch_size = size
        after = iterations_per_epoch(loader)
        for hook in cfg.get('custom_hooks') or ():
            key = HOOK_LENGTHS.get(str(hook['type']).split('.')[-1])
            if key and not hook.get('by_epoch', True):
                hook[key] = max(1, round(hook[key] * after / before))
        return cfg
    return apply


def virtual_view(**options) -> Callable[[Config], Config]:
    """The ``RealVirtualViews`` options of two-view methods changed."""
    def apply(cfg: Config) -> Config:
        views = [t for dataset in dataset_cfgs(cfg.train_dataloader.dataset)
                 for t in dataset.get('pipeline') or ()
                 if t['type'] == 'RealVirtualViews']
        if not views:
            raise SystemExit(
                f'[accuracy] --variant {options}: the method has no '
                'virtual view (RealVirtualViews); use a two-view method.')
        views[0].update(options)
        return cfg
    return apply


# VRM's analyses (issue 14): batch-size robustness and virtual-view strength
VARIANTS: Dict[str, Callable[[Config], Config]] = {
    **{f'bs{size}': batch_size(size) for size in (16, 32, 128)},
    'ra_off': virtual_view(num_ops=0),
    # magnitude 5 is the ablation 'vrm_magnitude_5' (accuracy_methods.py)
    **{f'mag{m}': virtual_view(magnitude=m) for m in (2, 7)},
    **{f'ops{n}': virtual_view(num_ops=n) for n in (1, 3)},
    'cutout': virtual_view(cutout_shape=7),  # a quarter of the 28 px side
}
# the value of each swept setting in the default protocol
DEFAULT_POINTS = dict(batch_size=DEFAULT_BATCH, magnitude=10, num_ops=2,
                      cutout=False)
