"""Data transforms for the virtual-view pipeline."""
from .mlkd_strong_augment import MLKD_STRONG_OPS, MLKDStrongAugment
from .real_virtual_views import VIRTUAL_VIEW_POLICIES, RealVirtualViews

__all__ = [
    'MLKDStrongAugment', 'MLKD_STRONG_OPS', 'RealVirtualViews',
    'VIRTUAL_VIEW_POLICIES'
]
