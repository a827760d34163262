"""What a trained classifier computes on a fixed set of images.

The common part of the representation analyses (``tools/analysis/tsne.py``,
``class_correlation.py``, ``loss_landscape.py``): build the network a config
trains (a classifier config's ``model``, a distiller config's student, or a
teacher through its own classifier config), load a checkpoint of it, and
run it on the first ``num_samples`` images of a split through the split's
own (test) pipeline.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor, nn

from vrm_mm.models.distillers import load_model_cfg
from vrm_mm.registry import MODELS
from vrm_mm.runtime.tool_config import read_config
from vrm_mm.utils.checkpoint import extract_state_dict


def add_model_args(parser: argparse.ArgumentParser, out: str) -> None:
    """``--student LABEL CONFIG CHECKPOINT`` (repeatable), ``--split``,
    ``--cfg-options`` (merged into every config) and ``--out``."""
    parser.add_argument(
        '--student', nargs=3, action='append', required=True,
        metavar=('LABEL', 'CONFIG', 'CHECKPOINT'),
        help='a trained network: a label, its (classifier or distiller) '
        'config and checkpoint; repeat for several')
    parser.add_argument('--split', default='test',
                        choices=('test', 'val', 'train'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='key=value overrides merged into every config '
                        '(e.g. a data_root)')
    parser.add_argument('--out', default=f'work_dirs/analysis/{out}',
                        help='output path without extension (.json, .png, '
                        '.md)')


def check_labels(students: List[List[str]]) -> None:
    labels = [label for label, _, _ in students]
    if len(set(labels)) != len(labels):
        raise ValueError(f'--student labels must be distinct; got {labels}.')


def command_line(tool: str, argv) -> str:
    """The command that ran ``tool``, for the reports."""
    args = argv if argv is not None else sys.argv[1:]
    return f'python tools/analysis/{tool}.py ' + ' '.join(args)


def make_out_dir(out: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)


def network_cfg(cfg: Config) -> Tuple[dict, str]:
    """The classifier ``cfg`` trains and its key prefix in a checkpoint:
    a distiller config's student (``student.``) or the config's model."""
    model = cfg.model
    preprocessor = model.get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    if 'student' in model:
        network, prefix = dict(load_model_cfg(model.student, 'student')), \
            'student.'
    else:
        network, prefix = dict(model), ''
    if preprocessor is not None:
        network.setdefault('data_preprocessor', preprocessor)
    return network, prefix


def load(config: str, checkpoint: str,
         cfg_options: Optional[dict]) -> Tuple[Config, nn.Module]:
    """``config`` read with ``cfg_options``, and its loaded classifier."""
    cfg = read_config(config, cfg_options)
    return cfg, load_classifier(cfg, checkpoint)


def load_classifier(cfg: Config, checkpoint: str) -> nn.Module:
    """The classifier ``cfg`` trains, with ``checkpoint``'s weights, in eval
    mode.

    Raises:
        ValueError: ``checkpoint`` does not hold all of its weights (e.g. a
            teacher's checkpoint given with a distiller config).
    """
    init_default_scope(cfg.get('default_scope', 'vrm_mm'))
    network, prefix = network_cfg(cfg)
    model = MODELS.build(network)
    state = extract_state_dict(
        _load_checkpoint(checkpoint, map_location='cpu'), checkpoint)
    if prefix and not any(key.startswith(prefix) for key in state):
        prefix = ''  # an exported student (tools/export_student.py)
    state = {key[len(prefix):]: value for key, value in state.items()
             if key.startswith(prefix)}
    missing = [key for key in model.state_dict() if key not in state
               and not key.endswith('num_batches_tracked')]
    if missing:
        raise ValueError(
            f'{checkpoint} lacks {len(missing)} of the network\'s weights'
            f' (e.g. {prefix}{missing[0]}): give a '
            f'checkpoint of a run of {cfg.filename} (tools/train.py writes '
            'epoch_N.pth), or for a teacher its own classifier config.')
    model.load_state_dict({k: v for k, v in state.items()
                           if k in model.state_dict()}, strict=False)
    return model.eval()


def load_batches(config: str, checkpoint: str, args: argparse.Namespace
                 ) -> Tuple[nn.Module, List[Tuple[Tensor, Tensor]]]:
    """The classifier of ``config`` with ``checkpoint``'s weights and the
    :func:`preprocessed` first ``args.num_samples`` images of
    ``args.split`` (``args.cfg_options`` merged into the config)."""
    cfg, model = load(config, checkpoint, args.cfg_options)
    return model, preprocessed(
        model, subset_loader(cfg, args.split, args.num_samples))


def subset_loader(cfg: Config, split: str, num_samples: Optional[int],
                  batch_size: int = 100):
    """The first ``num_samples`` images of ``split`` (all if None), in
    order, through the split's own pipeline."""
    loader = copy.deepcopy(cfg[f'{split}_dataloader'])
    if num_samples is not None:
        loader.dataset['indices'] = num_samples
    loader.update(batch_size=batch_size, num_workers=0, drop_last=False,
                  persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner.build_dataloader(loader, seed=0)


def preprocessed(model: nn.Module, loader) -> List[Tuple[Tensor, Tensor]]:
    """``(inputs, labels)`` of every batch, normalised by ``model``'s data
    preprocessor, kept in memory."""
    batches = []
    for data in loader:
        data = model.data_preprocessor(data, False)
        labels = torch.cat([s.gt_label for s in data['data_samples']])
        batches.append((data['inputs'], labels))
    return batches


@torch.no_grad()
def outputs(model: nn.Module, batches) -> Dict[str, np.ndarray]:
    """``pre_logits`` (N, D), ``logits`` (N, C) and ``labels`` (N,)."""
    pre, logits, labels = [], [], []
    for inputs, target in batches:
        feats = model.extract_feat(inputs)
        pre.append(model.head.pre_logits(feats))
        logits.append(model.head(feats))
        labels.append(target)
    return dict(pre_logits=torch.cat(pre).double().numpy(),
                logits=torch.cat(logits).double().numpy(),
                labels=torch.cat(labels).numpy())


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy (%)."""
    return float((logits.argmax(1) == labels).mean() * 100)


def write_report(out: str, tool: str, argv, title: str, table: str,
                 result: dict, note: str, plot) -> None:
    """Write ``out.json`` (``result`` + the command), ``out.png``
    (``plot(result, path)``) and ``out.md`` (title, command, ``note``,
    ``table``), and print the table."""
    command = command_line(tool, argv)
    make_out_dir(out)
    plot(result, out + '.png')
    with open(out + '.json', 'w') as f:
        json.dump(dict(command=command, **result), f, indent=1)
    with open(out + '.md', 'w') as f:
        f.write(f'# {title}\n\n`{command}`\n\n{note}\n\n{table}\n')
    print(table)
    print(f'written to {out}.json, .png and .md')


def _sklearn(module: str):
    """scikit-learn's ``module``, or an ImportError saying how to get it."""
    import importlib
    try:
        return importlib.import_module(f'sklearn.{module}')
    except ImportError as error:
        raise ImportError(
            'the t-SNE and silhouette analyses need scikit-learn: pip '
            "install -e '.[analysis]' (or pip install scikit-learn)"
        ) from error


def tsne_embedding(features: np.ndarray, seed: int) -> np.ndarray:
    """2-D t-SNE of ``features`` (scikit-learn; perplexity 30, its
    default and van der Maaten & Hinton's, lowered below N / 3 for tiny N;
    PCA initialisation, which keeps the global layout stable)."""
    TSNE = _sklearn('manifold').TSNE
    perplexity = min(30.0, (len(features) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init='pca',
                random_state=seed).fit_transform(features)


def silhouette(features: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient of the true classes (Euclidean), in
    [-1, 1]: 1 = each class a tight, well separated cluster."""
    silhouette_score = _sklearn('metrics').silhouette_score
    if len(np.unique(labels)) < 2:
        raise ValueError('the silhouette needs at least 2 classes among the '
                         'samples; raise --num-samples.')
    return float(silhouette_score(features, labels))


def class_mean_logits(logits: np.ndarray, labels: np.ndarray,
                      num_classes: int) -> np.ndarray:
    """``M[c]`` = mean logit vector of the samples of true class ``c``
    (mdistiller's ``get_output_metric``); a class without samples is NaN."""
    matrix = np.full((num_classes, num_classes), np.nan)
    for c in range(num_classes):
        if (labels == c).any():
            matrix[c] = logits[labels == c].mean(0)
    return matrix


def correlation_difference(student: np.ndarray,
                           teacher: np.ndarray) -> np.ndarray:
    """``|M_S - M_T|`` of two :func:`class_mean_logits` matrices with the
    diagonal zeroed, as mdistiller draws it: only how a class's logit
    relates to the *other* classes is compared."""
    diff = np.abs(student - teacher)
    np.fill_diagonal(diff, 0.0)
    return diff
