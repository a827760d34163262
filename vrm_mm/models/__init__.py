"""Importing this package registers every model component of vrm_mm."""
from . import (  # noqa: F401
               backbones,
               connectors,
               data_preprocessors,
               distillers,
               losses,
               wrappers,
)
