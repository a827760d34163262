"""Importing this package registers vrm_mm's datasets and transforms."""
from . import transforms  # noqa: F401
