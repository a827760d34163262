"""Data preprocessors; each module registers itself on import."""
from .multi_view_cls import MultiViewClsDataPreprocessor

__all__ = ['MultiViewClsDataPreprocessor']
