"""An example vrm_mm plugin: a distillation loss kept outside vrm_mm.

Importing this package registers its components in vrm_mm's registries;
a config does it with
``custom_imports = dict(imports=['example_plugin'],
allow_failed_imports=False)``.
"""
from .cosine_loss import CosineLogitLoss, cosine_logit_loss

__all__ = ['CosineLogitLoss', 'cosine_logit_loss']
