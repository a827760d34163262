"""Data transforms for the virtual-view pipeline."""
from .real_virtual_views import VIRTUAL_VIEW_POLICIES, RealVirtualViews

__all__ = ['RealVirtualViews', 'VIRTUAL_VIEW_POLICIES']
