"""vrm_mm: knowledge distillation by Virtual Relation Matching on the OpenMMLab stack."""
from .utils.compat import apply_compat_patches
from .version import __version__

apply_compat_patches()

__all__ = ['__version__']
