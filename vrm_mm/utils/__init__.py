"""Version compatibility and checkpoint helpers."""
