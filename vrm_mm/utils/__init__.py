"""Leaf helpers: errors, atomic saves, distributed helpers, compatibility
patches, checkpoint reading, work_dir records and ``register_all_modules``.

Nothing here imports the rest of vrm_mm at module level
(tests/test_layering.py).
"""
from .setup_env import register_all_modules

__all__ = ['register_all_modules']
