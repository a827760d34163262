"""Importing this package registers every model component of vrm_mm."""
from . import (backbones, connectors, data_preprocessors,  # noqa: F401
               distillers, losses, wrappers)
