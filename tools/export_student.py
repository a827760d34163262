"""Export the student of a distiller checkpoint as a plain mmpretrain one.

    python tools/export_student.py CKPT OUT [--config CFG]

CKPT is a checkpoint written by ``tools/train.py`` for a distiller config.
OUT gets ``{'state_dict': ..., 'meta': ...}`` with the ``student.*``
weights (prefix removed); connectors and loss parameters are dropped. The
student's ``ImageClassifier`` config (``model.student`` of the distiller
config) loads OUT with no missing or unexpected keys, e.g. through
``load_from`` or ``tools/test.py STUDENT_CONFIG OUT``.

The result is checked by building the student from CFG (default: the
config stored in CKPT) and loading OUT into it strictly. Next to OUT goes a
standalone student config (OUT with ``.py`` as suffix): CFG's test-time
parts with the student as ``model``, ``default_scope='mmpretrain'``, every
vrm_mm type written ``vrm_mm.<type>``, ``vrm_mm`` imported through
``custom_imports`` and ``load_from=OUT``. mmpretrain's own APIs then use the
student as any mmpretrain model::

    from mmpretrain.apis import ImageClassificationInferencer, init_model
    inferencer = ImageClassificationInferencer('student.py')
    model = init_model('student.py', 'student.pth')

(``python tools/test.py student.py student.pth`` works as well.) The
student config carries its preprocessing (``model.data_preprocessor``: mean,
std, ``to_rgb``) for images in one channel order, BGR: the order in which
the inferencer reads a file path and ``mmcv.imread(path)`` an array. A
student trained on a dataset that decodes RGB arrays itself (CIFAR pickles,
``FilenameLabelledImages``: no ``LoadImageFromFile`` in its pipeline) gets
``to_rgb`` flipped and its test set wrapped in ``vrm_mm.BGRArrays``, so that
``tools/test.py student.py student.pth`` still sees what training saw.
"""
import argparse
import os
import os.path as osp
import pickle
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import vrm_mm  # noqa: F401  (safe loading of mmengine checkpoints)
from vrm_mm.datasets.bgr_arrays import BGRArrays
from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS
from vrm_mm.runtime.cli import clear_errors
from vrm_mm.utils.checkpoint_fit import load_checkpoint_file
from vrm_mm.utils.setup_env import our_names, scope_qualified

PREFIX = 'student.'
# what only training (or only the distiller) uses
TRAIN_ONLY_KEYS = ('train_dataloader', 'train_pipeline', 'train_cfg',
                   'optim_wrapper', 'param_scheduler', 'auto_scale_lr',
                   'custom_hooks', 'resume', 'load_from', 'work_dir')
# default hooks that tools/train.py adds for --resume only
TRAIN_ONLY_HOOKS = ('OwnWorkDirHook', 'ExperimentIdentityHook')
LOAD_FROM_FILE = 'LoadImageFromFile'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the student of a distiller checkpoint.')
    parser.add_argument('checkpoint', help='distiller checkpoint (.pth)')
    parser.add_argument('out', help='output student checkpoint (.pth)')
    parser.add_argument(
        '--config',
        help='the distiller config, to check the export against '
        '(default: the config stored in the checkpoint)')
    return parser.parse_args(argv)


def student_state_dict(state_dict: Dict[str, torch.Tensor],
                       source: str) -> Dict[str, torch.Tensor]:
    """The ``student.*`` tensors of a distiller state dict, unprefixed."""
    student = {
        key[len(PREFIX):]: value
        for key, value in state_dict.items() if key.startswith(PREFIX)
    }
    if not student:
        shown = ', '.join(list(state_dict)[:5])
        raise ValueError(
            f'{source} has no `student.*` weights (its keys start: '
            f'{shown}); is it a distiller checkpoint?')
    return student


def check_loads(student: Dict[str, torch.Tensor], cfg: Config) -> None:
    """Load ``student`` strictly into ``cfg.model.student``."""
    if cfg.model.get('student') is None:
        raise ValueError('the config has no model.student: is it a '
                         'distiller config?')
    init_default_scope(cfg.get('default_scope', 'vrm_mm'))
    model = MODELS.build(load_model_cfg(cfg.model.student, 'student'))
    result = model.load_state_dict(student, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            'the exported weights do not match model.student of the config: '
            f'missing {result.missing_keys[:5]}, unexpected '
            f'{result.unexpected_keys[:5]}.')


def _type_name(node) -> str:
    return str(node.get('type', '')).split('.')[-1] if isinstance(
        node, dict) else ''


def decodes_rgb(dataset: Optional[dict]) -> bool:
    """Whether ``dataset`` hands over arrays it decoded itself, in RGB
    (CIFAR pickles), rather than reading files with ``LoadImageFromFile``
    (mmcv: BGR)."""
    if not isinstance(dataset, dict) or 'pipeline' not in dataset:
        return False
    return not any(_type_name(step) == LOAD_FROM_FILE
                   for step in dataset['pipeline'])


def bgr_input(preprocessor: dict, loaders: Dict[str, dict]) -> None:
    """Make a student that was fed RGB arrays take BGR images: flip
    ``to_rgb`` and wrap the (3-channel) test sets in ``BGRArrays``."""
    datasets = [loader.get('dataset') for loader in loaders.values()
                if isinstance(loader, dict)]
    if len(preprocessor.get('mean') or ()) != 3 or not datasets or not all(
            decodes_rgb(dataset) for dataset in datasets):
        return
    preprocessor['to_rgb'] = not preprocessor.get('to_rgb', False)
    # val and test may be one dict (test_dataloader = val_dataloader)
    for loader in {id(loader): loader for loader in loaders.values()
                   }.values():
        dataset = loader['dataset']
        loader['dataset'] = dict(type=f'vrm_mm.{BGRArrays.__name__}',
                                 pipeline=dataset['pipeline'],
                                 dataset=dict(dataset, pipeline=[]))


def student_config(cfg: Config, checkpoint: str) -> Config:
    """The standalone config of ``cfg``'s student (see the module doc)."""
    model = dict(load_model_cfg(cfg.model.student, 'student'))
    preprocessor = cfg.model.get('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    kept = {
        key: value
        for key, value in cfg.to_dict().items()
        if key not in TRAIN_ONLY_KEYS and key not in ('model',
                                                      'data_preprocessor')
    }
    if preprocessor is not None:
        preprocessor = dict(preprocessor)
        # one view at test time: mmpretrain's own preprocessor is the same
        if preprocessor.get('type') == 'MultiViewClsDataPreprocessor':
            preprocessor['type'] = 'ClsDataPreprocessor'
        bgr_input(preprocessor, {
            key: kept[key]
            for key in ('val_dataloader', 'test_dataloader')
            if isinstance(kept.get(key), dict)
        })
        model['data_preprocessor'] = preprocessor
    hooks = kept.get('default_hooks')
    if isinstance(hooks, dict):
        kept['default_hooks'] = {
            name: hook
            for name, hook in hooks.items()
            if _type_name(hook) not in TRAIN_ONLY_HOOKS
        }
    kept.update(model=model, data_preprocessor=preprocessor)
    standalone = scope_qualified(kept, our_names())
    standalone.update(
        default_scope='mmpretrain',
        custom_imports=dict(
            imports=['vrm_mm', BGRArrays.__module__],
            allow_failed_imports=False),
        load_from=osp.abspath(checkpoint))
    return Config(standalone)


def export(checkpoint_path: str, out: str,
           config: Optional[str] = None) -> str:
    """Write the student checkpoint; returns a one-line summary."""
    checkpoint = load_checkpoint_file(checkpoint_path)
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise ValueError(f'{checkpoint_path} is not an mmengine checkpoint '
                         '(no `state_dict`).')
    student = student_state_dict(checkpoint['state_dict'], checkpoint_path)
    source_meta = checkpoint.get('meta') or {}
    if config is not None:
        cfg = Config.fromfile(config)
    elif 'cfg' in source_meta:
        cfg = Config.fromstring(source_meta['cfg'], '.py')
    else:
        cfg = None
    if cfg is not None:
        check_loads(student, cfg)
    meta = dict(
        exported_from=osp.abspath(checkpoint_path),
        exported_by='tools/export_student.py',
        **{
            key: source_meta[key]
            for key in ('epoch', 'iter', 'dataset_meta', 'seed')
            if key in source_meta
        })
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=student, meta=meta), out)
    if cfg is None:
        return (f'{len(student)} student tensors written to {out} (not '
                'checked, no student config: no config given or stored)')
    config_out = osp.splitext(out)[0] + '.py'
    student_config(cfg, out).dump(config_out)
    return (f'{len(student)} student tensors written to {out} (checked '
            f'against model.student); its mmpretrain config: {config_out}')


def main(argv=None) -> None:
    args = parse_args(argv)
    errors = (ValueError, OSError, RuntimeError, pickle.UnpicklingError)
    with clear_errors('export_student', errors):
        print(export(args.checkpoint, args.out, args.config))


if __name__ == '__main__':
    main()
