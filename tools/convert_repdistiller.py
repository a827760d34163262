"""Convert a public RepDistiller / mdistiller CIFAR checkpoint to vrm_mm.

    python tools/convert_repdistiller.py SRC DST --model NAME [--config CFG]

SRC is a public checkpoint (``{'model': state_dict, ...}`` or a plain state
dict, read with ``torch.load(weights_only=True)``); NAME its model name in
the public model dict (``resnet56``, ``wrn_40_2``, ``MobileNetV2``, ...).
DST gets ``{'state_dict': ..., 'meta': ...}`` that the config
``configs/_base_/models/cifar100/<name.lower()>.py`` loads with
``strict=True`` (e.g. as a distiller's teacher checkpoint).
"""

import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vrm_mm.converters.repdistiller import (
    REPDISTILLER_MODELS,
    convert_repdistiller_state_dict,
    load_repdistiller_checkpoint,
)
from vrm_mm.registry import MODELS
from vrm_mm.runtime.cli import clear_errors

MODEL_CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))),
    'configs',
    '_base_',
    'models',
    'cifar100',
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a RepDistiller / mdistiller CIFAR checkpoint '
        'to a vrm_mm (mmpretrain ImageClassifier) checkpoint.'
    )
    parser.add_argument('src', help='public checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--model',
        required=True,
        metavar='NAME',
        help='public model name: ' + ', '.join(REPDISTILLER_MODELS),
    )
    parser.add_argument(
        '--config',
        help='model config to convert for (default: '
        'configs/_base_/models/cifar100/<NAME lower-cased>.py)',
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('convert_repdistiller', (ValueError, OSError)):
        if args.model not in REPDISTILLER_MODELS:
            raise ValueError(
                f'unknown --model {args.model!r}; valid names: '
                f'{", ".join(REPDISTILLER_MODELS)}.'
            )
        config = args.config or osp.join(
            MODEL_CONFIG_DIR, f'{args.model.lower()}.py'
        )
        init_default_scope('vrm_mm')
        model = MODELS.build(Config.fromfile(config).model)
        state_dict = convert_repdistiller_state_dict(
            load_repdistiller_checkpoint(args.src),
            args.model,
            model.state_dict(),
        )
        os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
        meta = dict(
            source=osp.abspath(args.src),
            repdistiller_model=args.model,
            config=osp.abspath(config),
            converted_by='tools/convert_repdistiller.py',
        )
        torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{args.model}: {len(state_dict)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
