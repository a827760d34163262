"""Analyses of trained networks and distillation losses (the paper's
figures): representations, loss landscapes, spurious-response propagation,
training curves, and a hook that scores a fixed training subset.

Each module is a library; ``tools/analysis/*.py`` are their command lines.
Importing this package registers :class:`TrainSubsetAccuracyHook` only; the
measures are imported by module (``from vrm_mm.analysis import
representation``).
"""
from .train_subset_accuracy_hook import TrainSubsetAccuracyHook

__all__ = ['TrainSubsetAccuracyHook']
