"""keras.models: Sequential, Model (functional and subclassed)."""

from fastconv.keras.models.model import Model
from fastconv.keras.models.sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "save_model"]


def load_model(filepath, custom_objects=None, compile=True):
    """Rebuild a model saved by model.save(path) (see fastconv.saving)."""
    from fastconv.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile)


def save_model(model, filepath, overwrite=True):
    from fastconv.saving import save_model as _save

    _save(model, filepath, overwrite=overwrite)


def clone_model(model, custom_objects=None):
    """A new model with the same architecture (fresh weights) from get_config/from_config."""
    from fastconv.keras.layers import deserialize, serialize

    return deserialize(serialize(model), custom_objects)
