"""keras.backend: clear_session (reset layer-name counters), set the global seed."""

from fastconv.keras._backend import set_seed  # noqa: F401
from fastconv.keras.layers.base import clear_session  # noqa: F401

__all__ = ["clear_session", "set_seed"]
