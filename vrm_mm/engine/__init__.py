"""Importing this package registers vrm_mm's hooks and engine components."""
from . import hooks  # noqa: F401
