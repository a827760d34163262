"""Catch misspelt config keys before a long run starts.

mmengine's Runner silently ignores top-level keys it does not know, so a
typo such as ``trian_cfg`` only shows up as wrong behaviour hours later, and
a misspelt ``--cfg-options`` key silently adds a new, unused entry. A key is
reported when it is absent from the config and a close spelling of a key
that the config (or the Runner) does know.
"""
from typing import Iterable, Optional

from mmengine.config import Config

from vrm_mm.utils.suggest import close_matches

RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg',
    'model_wrapper_cfg', 'find_unused_parameters', 'runner_type')


class ConfigKeyError(KeyError):
    """A config key that is almost certainly a typo."""

    def __str__(self) -> str:
        return str(self.args[0])


def _close_match(key: str, known: Iterable[str]) -> Optional[str]:
    # strict cutoff: a match here turns a new key into an error
    matches = close_matches(key, known, n=1, cutoff=0.8)
    return matches[0] if matches else None


def check_top_level_keys(cfg: Config) -> None:
    """Raise if a top-level key is a misspelling of an absent Runner key."""
    for key in cfg.keys():
        if key in RUNNER_KEYS:
            continue
        guess = _close_match(key, [k for k in RUNNER_KEYS if k not in cfg])
        if guess is not None:
            raise ConfigKeyError(
                f'Unknown config key {key!r}: did you mean {guess!r}? '
                f'mmengine would silently ignore {key!r}.')


def check_override_keys(cfg: Config, options: Optional[dict]) -> None:
    """Raise if a ``--cfg-options`` key is new but close to an existing one.

    Args:
        cfg: the config before the overrides are merged.
        options: the parsed ``--cfg-options`` (dotted keys to values).
    """
    tree = cfg.to_dict()
    for dotted in options or {}:
        node = tree
        parts = dotted.split('.')
        for depth, part in enumerate(parts):
            if isinstance(node, list) and part.isdigit():
                if int(part) >= len(node):
                    break
                node = node[int(part)]
                continue
            if not isinstance(node, dict):
                break
            if part not in node:
                guess = _close_match(part, node.keys())
                if guess is not None:
                    path = '.'.join(parts[:depth] + [guess])
                    raise ConfigKeyError(
                        f'--cfg-options key {dotted!r} does not exist in the '
                        f'config: did you mean {path!r}?')
                break
            node = node[part]
