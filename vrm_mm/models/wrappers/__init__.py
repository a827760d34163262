"""Model wrappers."""
from .cpu_compatible_ddp import CPUCompatibleDDP

__all__ = ['CPUCompatibleDDP']
