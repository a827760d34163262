"""Config variables set once: a top-level ``num_classes`` and
``data_root`` reach every consumer (heads, data preprocessor,
``ImageFolderDataset``) after ``_base_`` inheritance and ``--cfg-options``,
which mmengine's configs do not do by themselves (a value set in a child
config never reaches dicts built in a ``_base_`` file).
"""
from typing import Dict, List, Mapping, Optional

from vrm_mm.datasets.image_folder import ClassListError

_SHARED = ('num_classes', 'data_root')


def _is_type(node, name: str) -> bool:
    if not isinstance(node, Mapping):
        return False
    return str(node.get('type', '')).split('.')[-1] == name


def _num_classes_keys(node, prefix: str) -> List[str]:
    """Dotted paths of every ``num_classes`` key under ``node``."""
    keys = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f'{prefix}.{key}'
            if key == 'num_classes':
                keys.append(path)
            else:
                keys += _num_classes_keys(value, path)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            keys += _num_classes_keys(value, f'{prefix}.{i}')
    return keys


def _consumers(cfg) -> Dict[str, List[str]]:
    """The dotted keys that follow each shared top-level variable."""
    num_classes = []
    model = cfg.get('model')
    if isinstance(model, Mapping):
        if isinstance(model.get('head'), Mapping):
            num_classes.append('model.head.num_classes')
        for role in ('student', 'teacher'):
            # a network given by its config file or with a head of its own
            part = model.get(role)
            if isinstance(part, Mapping) and ('head' in part
                                              or 'cfg_path' in part):
                num_classes.append(f'model.{role}.head.num_classes')
        num_classes += _num_classes_keys(model, 'model')
    if isinstance(cfg.get('data_preprocessor'), Mapping):
        num_classes.append('data_preprocessor.num_classes')
    data_root = []
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        path = f'{split}_dataloader.dataset'
        dataset = loader.get('dataset') if isinstance(loader,
                                                      Mapping) else None
        while isinstance(dataset, Mapping) and isinstance(
                dataset.get('dataset'), Mapping):
            dataset, path = dataset['dataset'], f'{path}.dataset'
        if _is_type(dataset, 'ImageFolderDataset'):
            num_classes.append(f'{path}.num_classes')
            data_root.append(f'{path}.data_root')
    return dict(num_classes=list(dict.fromkeys(num_classes)),
                data_root=data_root)


def _get(cfg, dotted: str):
    node = cfg
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)):
            node = node[int(part)]
        elif hasattr(node, 'keys') and part in node:  # Config too
            node = node[part]
        else:
            return None
    return node


def _set(cfg, dotted: str, value) -> None:
    *parents, last = dotted.split('.')
    node = cfg
    for part in parents:
        if isinstance(node, (list, tuple)):
            node = node[int(part)]
        else:
            if not isinstance(node.get(part), Mapping):
                node[part] = {}
            node = node[part]
    node[last] = value


def propagate_shared_variables(
        cfg, cfg_options: Optional[Mapping] = None) -> List[str]:
    """Write the top-level ``num_classes`` and ``data_root`` into their
    consumers; return the ``key: old -> new`` changes made.

    mmengine evaluates a config file once, so a variable read by a
    ``_base_`` file keeps the base's value when a child config or
    ``--cfg-options`` changes it. Called on the merged config (after
    ``--cfg-options``), this makes the top-level variables the one place:

    * ``num_classes`` -> ``model.head.num_classes`` (a classifier),
      ``model.student.head`` and ``model.teacher.head`` (a distiller), every
      other ``num_classes`` under ``model`` (losses), the top-level
      ``data_preprocessor``, and every ``ImageFolderDataset`` of the
      train/val/test dataloaders (which checks its class count);
    * ``data_root`` -> every ``ImageFolderDataset`` of the dataloaders
      (other dataset types keep their own).

    A config without the top-level key is left as it is. A ``--cfg-options``
    key that sets a consumer to another value than the variable is an
    error naming the variable to set instead.
    """
    changes = []
    consumers = _consumers(cfg)
    for name in _SHARED:
        if cfg.get(name) is None:
            continue
        value = cfg[name]
        if name == 'num_classes' and (isinstance(value, bool)
                                      or not isinstance(value, int)
                                      or value < 1):
            raise ClassListError(
                f'num_classes={value!r}: set it to the number of classes, '
                'a positive integer (the class subfolders of train/).')
        for key, option in (cfg_options or {}).items():
            if key in consumers[name] and option != value:
                raise ClassListError(
                    f'--cfg-options {key}={option} disagrees with {name}='
                    f'{value!r}: set {name}={option} instead; every '
                    f'consumer ({", ".join(consumers[name])}) follows it.')
        for key in consumers[name]:
            old = _get(cfg, key)
            if old != value:
                _set(cfg, key, value)
                changes.append(f'{key}: {old!r} -> {value!r}')
    return changes
