"""What ``tools/train.py`` guarantees every run, whatever its config's hooks.

* :class:`~vrm_mm.engine.hooks.PreemptionHook`: on SIGTERM/SIGUSR1 a
  checkpoint is saved and the run exits with status 75 ("resume me").
* :class:`~vrm_mm.datasets.BadSampleGuard` around the train dataset: an
  unreadable sample stops training with one line, or with
  ``bad_samples = dict(policy='skip', max_skipped=N)`` is replaced by the
  next readable one (and ``BadSampleLogHook`` logs them every epoch).
"""
from mmengine.config import Config

from vrm_mm.datasets.bad_sample_guard import check_bad_sample_policy

# scoped: the hooks and the wrapper resolve from any config's default scope
PREEMPTION_HOOK = 'vrm_mm.PreemptionHook'
BAD_SAMPLE_GUARD = 'vrm_mm.BadSampleGuard'
BAD_SAMPLE_LOG_HOOK = 'vrm_mm.BadSampleLogHook'
BAD_SAMPLE_KEYS = ('policy', 'max_skipped')


def _has_hook(hooks: list, name: str) -> bool:
    return any(
        str(hook.get('type', '')).split('.')[-1] == name.split('.')[-1]
        for hook in hooks)


def _add_hook(cfg: Config, name: str) -> None:
    hooks = list(cfg.get('custom_hooks') or [])
    if not _has_hook(hooks, name):  # a config's own settings win
        hooks.append(dict(type=name))
    cfg.custom_hooks = hooks


def guard_bad_samples(cfg: Config) -> None:
    """Wrap the train dataset in ``BadSampleGuard`` per ``bad_samples``."""
    policy = dict(cfg.get('bad_samples') or {})
    unknown = sorted(set(policy) - set(BAD_SAMPLE_KEYS))
    if unknown:
        raise ValueError(
            f'bad_samples: unknown keys {unknown}; valid: '
            f"{list(BAD_SAMPLE_KEYS)}, e.g. bad_samples = dict("
            "policy='skip', max_skipped=10).")
    policy.setdefault('policy', 'raise')
    policy.setdefault('max_skipped', 10)
    check_bad_sample_policy(**policy)
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        return
    if str(loader.dataset.get('type', '')).endswith('BadSampleGuard'):
        return
    loader.dataset = dict(type=BAD_SAMPLE_GUARD, dataset=loader.dataset,
                          **policy)
    if policy['policy'] == 'skip':
        _add_hook(cfg, BAD_SAMPLE_LOG_HOOK)


def add_run_guards(cfg: Config) -> None:
    """Add the preemption hook and the bad-sample guard to ``cfg``."""
    _add_hook(cfg, PREEMPTION_HOOK)
    guard_bad_samples(cfg)
