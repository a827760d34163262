"""Convert a torchvision ImageNet checkpoint to an mmpretrain one.

    python tools/convert_torchvision.py SRC DST --model NAME

SRC is a torchvision state dict (``torch.save(model.state_dict(), SRC)``,
or the files torchvision downloads, e.g. ``resnet34-b627a593.pth``), read
with ``torch.load(weights_only=True)``; NAME is ``resnet18``, ``resnet34``,
``resnet50`` or ``mobilenet_v2``. DST gets ``{'state_dict': ..., 'meta':
...}`` that mmpretrain's model config of the same network
(``mmpretrain::_base_/models/resnet34.py``, ...) loads with
``strict=True`` and that gives the same logits, e.g. as the
``teacher_ckpt`` of ``configs/vrm/vrm_resnet34_resnet18_100e_imagenet.py``.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vrm_mm.converters.state_dict import load_state_dict_file
from vrm_mm.converters.torchvision_models import (
    TORCHVISION_MODELS,
    convert_torchvision_state_dict,
)
from vrm_mm.models.distillers.build import resolve_cfg_path
from vrm_mm.registry import MODELS
from vrm_mm.runtime.cli import clear_errors


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a torchvision ImageNet checkpoint to an '
        'mmpretrain ImageClassifier checkpoint.')
    parser.add_argument('src', help='torchvision state dict (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--model', required=True,
                        choices=list(TORCHVISION_MODELS),
                        help='torchvision model name')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with clear_errors('convert_torchvision', (ValueError, OSError)):
        config = resolve_cfg_path(TORCHVISION_MODELS[args.model], 'model')
        init_default_scope('vrm_mm')
        model = MODELS.build(Config.fromfile(config).model)
        state_dict = convert_torchvision_state_dict(
            load_state_dict_file(args.src), args.model, model.state_dict())
        os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
        meta = dict(source=osp.abspath(args.src),
                    torchvision_model=args.model,
                    config=TORCHVISION_MODELS[args.model],
                    converted_by='tools/convert_torchvision.py')
        torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{args.model}: {len(state_dict)} tensors written to {args.dst} '
          f'(model config {TORCHVISION_MODELS[args.model]})')


if __name__ == '__main__':
    main()
