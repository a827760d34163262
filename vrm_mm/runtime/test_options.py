"""``tools/test.py``'s options from mmpretrain 1.2's ``tools/test.py``:
``--tta``, ``--show-dir``/``--show``/``--interval``/``--wait-time``,
``--out``/``--out-item``, ``--amp``, ``--no-pin-memory``; each changes the
config as mmpretrain's does, with the differences named where they are.
"""
import copy
import os
import os.path as osp
import sys
import warnings
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict

# mmengine.dump / DumpResults: the formats each ``--out-item`` can write
METRICS_FORMATS = ('.json', '.yaml', '.yml', '.pkl', '.pickle')
PRED_FORMATS = ('.pkl', '.pickle')
TTA_MODEL = dict(type='AverageClsScoreTTA')
VISUALIZER = dict(
    type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
VIS_HOOK = 'ImageVisualizationHook'


def _type_name(component) -> str:
    return str(component.get('type', '')).split('.')[-1]


def check_out(out: Optional[str], out_item: Optional[str]) -> None:
    """``--out-item`` needs ``--out``, whose extension must be one the
    dump can write: ``pred`` (default) a pickle, ``metrics`` json, yaml or
    pickle. Checked before the test runs, not after."""
    if out is None:
        if out_item is not None:
            raise ValueError(f'--out-item {out_item} needs --out FILE, the '
                             'file to write it to.')
        return
    item = out_item or 'pred'
    formats = PRED_FORMATS if item == 'pred' else METRICS_FORMATS
    if osp.splitext(out)[1].lower() not in formats:
        raise ValueError(
            f'--out {out}: --out-item {item} is written as '
            f'{"/".join(f[1:] for f in formats)}; give --out a file name '
            f'ending in one of {", ".join(formats)}.')


def add_prediction_dump(cfg: Config, out: Optional[str],
                        out_item: Optional[str]) -> None:
    """``--out FILE`` (``--out-item pred``, the default): mmengine's
    ``DumpResults`` joins the test evaluators and pickles every sample's
    prediction. ``--out-item metrics`` is written by ``run_test``."""
    check_out(out, out_item)
    if out is None or out_item == 'metrics':
        return
    dump = dict(type='DumpResults', out_file_path=out)
    evaluator = cfg.test_evaluator
    cfg.test_evaluator = [*evaluator, dump] if isinstance(
        evaluator, (list, tuple)) else [evaluator, dump]


def enable_test_amp(cfg: Config) -> None:
    """``--amp``: ``test_cfg.fp16 = True`` (mixed precision), as
    mmpretrain; without a GPU a warning and float32, as ``train.py
    --amp`` (mmengine would run bfloat16 autocast on the CPU)."""
    if not torch.cuda.is_available():
        warnings.warn('AMP needs a GPU and none is available: testing in '
                      'float32 (test_cfg.fp16 not set).')
        return
    test_cfg = cfg.get('test_cfg') or ConfigDict()
    test_cfg['fp16'] = True
    cfg.test_cfg = test_cfg


def _has_display() -> bool:
    if not sys.platform.startswith('linux'):
        return True  # macOS/Windows draw windows without $DISPLAY
    return bool(os.environ.get('DISPLAY') or
                os.environ.get('WAYLAND_DISPLAY'))


def enable_visualization(cfg: Config, show_dir: Optional[str], show: bool,
                         interval: int, wait_time: float) -> None:
    """``--show-dir DIR``/``--show``: switch on ``default_hooks.
    visualization`` with mmpretrain's arguments (every ``interval``-th test
    sample drawn with its prediction, as ``DIR/<name>_0.png``, or shown for
    ``wait_time`` s).

    Beyond mmpretrain: a config without the hook or a visualizer gets them
    (mmpretrain asserts); mmpretrain's ``VisualizationHook`` becomes
    :class:`ImageVisualizationHook` (also draws ``--tta`` batches and grey
    images); ``--show`` without a display is an error naming ``--show-dir``.
    """
    if show_dir is None and not show:
        return
    if show and not _has_display():
        raise ValueError(
            '--show needs a display and none is set ($DISPLAY): use '
            '--show-dir DIR to write the drawn test images to DIR instead.')
    if interval < 1:
        raise ValueError(f'--interval {interval}: draw every N-th sample '
                         'with N >= 1.')
    # importing the module registers the hook
    from vrm_mm.runtime.hooks import image_visualization_hook  # noqa: F401
    hooks = cfg.get('default_hooks')
    if hooks is None:
        hooks = cfg.default_hooks = ConfigDict()
    hook = hooks.get('visualization') or ConfigDict(type=VIS_HOOK)
    if _type_name(hook) == 'VisualizationHook':
        hook['type'] = VIS_HOOK
    hook.update(enable=True, show=show, wait_time=wait_time,
                out_dir=show_dir, interval=interval)
    hooks['visualization'] = hook
    if not cfg.get('visualizer'):
        cfg.visualizer = copy.deepcopy(VISUALIZER)


def _is_packer(transform) -> bool:
    return _type_name(transform).startswith('Pack')


def add_tta(cfg: Config) -> None:
    """``--tta``: test ``tta_model`` over ``tta_pipeline``, as mmpretrain.

    A config without them averages the class scores
    (``AverageClsScoreTTA``) of each test image and its horizontal flip:
    the test pipeline's last transform (the packer, e.g. ``PackInputs``)
    becomes ``TestTimeAug([[RandomFlip(prob=0), RandomFlip(prob=1)],
    [packer]])``. mmpretrain lists the flip first; unflipped first makes
    the merged sample's meta and ``--show-dir``'s image the original one,
    and the average is the same. The model (a distiller: its student, whose
    ``predict`` it calls) keeps its own data preprocessor, which
    ``BaseTTAModel`` would otherwise replace by the config's top-level one.
    """
    dataset = cfg.test_dataloader.get('dataset') or {}
    if 'pipeline' not in dataset:
        raise ValueError(
            '--tta sets test_dataloader.dataset.pipeline, which this '
            'config does not have (a wrapped dataset?): set the pipeline '
            'of the dataset the test loader reads, or test without --tta.')
    if 'tta_pipeline' not in cfg:
        pipeline = dataset.pipeline
        if not pipeline or not _is_packer(pipeline[-1]):
            raise ValueError(
                '--tta without tta_pipeline in the config flips the test '
                "images before the pipeline's last transform, a packer "
                '(PackInputs), but test_dataloader.dataset.pipeline ends '
                f'with {pipeline[-1] if pipeline else "nothing"}: set '
                'tta_pipeline (and tta_model) in the config.')
        tta_pipeline = copy.deepcopy(pipeline)
        tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[dict(type='RandomFlip', prob=0.),
                         dict(type='RandomFlip', prob=1.)],
                        [copy.deepcopy(pipeline[-1])]])
        cfg.tta_pipeline = tta_pipeline
    if 'tta_model' not in cfg:
        cfg.tta_model = copy.deepcopy(TTA_MODEL)
    tta_model = ConfigDict(copy.deepcopy(cfg.tta_model))
    model = cfg.model
    preprocessor = model.get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    if preprocessor is not None:
        tta_model.setdefault('data_preprocessor', copy.deepcopy(preprocessor))
    cfg.model = ConfigDict(**tta_model, module=model)
    cfg.test_dataloader.dataset.pipeline = copy.deepcopy(cfg.tta_pipeline)
