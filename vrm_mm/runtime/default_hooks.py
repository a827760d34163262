"""Let configs turn off any default hook with ``None``.

mmengine's Runner accepts ``default_hooks = dict(name=None)`` only for its
own six default hooks and fails with a bare ``AssertionError`` for the
others, such as the ``epoch_seed`` and ``nan_guard`` hooks that
``configs/_base_/default_runtime.py`` adds.
"""
from mmengine.config import Config

# Runner.register_default_hooks: the names it can drop itself
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


def drop_disabled_hooks(cfg: Config) -> None:
    """Remove ``default_hooks`` entries set to None that mmengine rejects."""
    hooks = cfg.get('default_hooks') or {}
    for name in [
            name for name, hook in hooks.items()
            if hook is None and name not in MMENGINE_DEFAULT_HOOKS
    ]:
        hooks.pop(name)
