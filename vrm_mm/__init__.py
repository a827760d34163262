"""vrm_mm: distillation by Virtual Relation Matching (OpenMMLab stack)."""
from .utils.atomic_save import register_atomic_local_backend
from .utils.compat import apply_compat_patches
from .version import __version__

apply_compat_patches()
register_atomic_local_backend()

__all__ = ['__version__']
