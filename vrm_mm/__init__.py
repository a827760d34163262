"""vrm_mm: distillation by Virtual Relation Matching (OpenMMLab stack)."""
from .utils.atomic_save import register_atomic_local_backend
from .utils.compat import apply_compat_patches
from .utils.setup_env import register_config_scope
from .version import __version__

apply_compat_patches()
register_atomic_local_backend()
register_config_scope()

__all__ = ['__version__']
