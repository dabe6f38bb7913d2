"""keras.models: Sequential, Model (functional and subclassed)."""

from fastconv.keras.models.model import Model
from fastconv.keras.models.sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model"]


def clone_model(model, custom_objects=None):
    """A new model with the same architecture (fresh weights) from get_config/from_config."""
    from fastconv.keras.layers import deserialize, serialize

    return deserialize(serialize(model), custom_objects)
