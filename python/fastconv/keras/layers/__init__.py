"""keras.layers: Keras names, arguments and defaults. Every layer is lazily built from its first
input shape and can be subclassed."""

from fastconv.keras.layers.base import InputSpec, KerasTensor, Layer, clear_session
from fastconv.keras.layers.conv import (AveragePooling2D, AvgPool2D, Conv2D,
                                        GlobalAveragePooling2D, GlobalAvgPool2D,
                                        GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D,
                                        MaxPooling2D, ZeroPadding2D)
from fastconv.keras.layers.core import (Activation, Dense, Dropout, Flatten, Input, InputLayer,
                                        Lambda, ReLU, Reshape, Softmax)
from fastconv.keras.layers.merge import Add, Concatenate, Multiply, add, concatenate, multiply
from fastconv.keras.layers.normalization import BatchNormalization, LocalResponseNormalization

Convolution2D = Conv2D
LRN = LocalResponseNormalization

__all__ = ["Layer", "InputSpec", "KerasTensor", "Input", "InputLayer", "Conv2D", "Convolution2D",
           "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D",
           "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D",
           "ZeroPadding2D", "Dense", "Flatten", "Reshape", "Dropout", "Activation", "ReLU",
           "Softmax", "Lambda", "Add", "Multiply", "Concatenate", "add", "multiply",
           "concatenate", "BatchNormalization", "LocalResponseNormalization", "LRN",
           "serialize", "deserialize", "get_builtin_layer"]

_BUILTIN = {cls.__name__: cls for cls in (
    InputLayer, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
    GlobalMaxPooling2D, ZeroPadding2D, Dense, Flatten, Reshape, Dropout, Activation, ReLU,
    Softmax, Add, Multiply, Concatenate, BatchNormalization, LocalResponseNormalization)}


def get_builtin_layer(class_name):
    """The built-in layer (or model) class registered under `class_name`, or None."""
    if class_name in ("Sequential", "Functional", "Model"):
        from fastconv.keras import models

        return {"Sequential": models.Sequential, "Functional": models.Model,
                "Model": models.Model}[class_name]
    return _BUILTIN.get(class_name)


def serialize(layer):
    """layer -> {"class_name": <class name>, "config": layer.get_config()} (JSON-safe)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """{"class_name", "config"} -> a new, unbuilt layer. custom_objects maps extra class names
    (user-defined layers) to classes."""
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or get_builtin_layer(name)
    if cls is None:
        raise ValueError(f"deserialize: unknown layer class {name!r}; pass it in "
                         f"custom_objects={{'{name}': {name}}}")
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(dict(config["config"]), custom_objects=custom_objects)
        except TypeError as e:
            if "custom_objects" not in str(e):
                raise
    return cls.from_config(dict(config["config"]))
