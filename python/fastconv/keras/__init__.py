"""fastconv.keras: the Keras API (TF 2 / Keras 3 names and defaults) on fastconv's kernels.

The TensorFlow 2 CNN labs run after replacing their imports with

    import fastconv as tf
    from fastconv import keras

(``tf.keras``, ``tf.nn.relu``, ``tf.reduce_mean``, ``tf.GradientTape``, ... all exist on the
fastconv package; see fastconv/_tfcompat.py).
"""

from fastconv.keras import (activations, callbacks, initializers, layers, losses, metrics,
                            optimizers, utils)
from fastconv.keras import backend
from fastconv.keras.layers import Input, Layer
from fastconv.keras.models import Model, Sequential
from fastconv.keras import models

__all__ = ["Sequential", "Model", "Input", "Layer", "layers", "models", "initializers",
           "optimizers", "losses", "metrics", "utils", "callbacks", "activations", "backend",
           "datasets", "applications"]


def __getattr__(name):
    # keras.datasets / keras.applications are fastconv.datasets / fastconv.applications
    # (imported on first use)
    if name in ("datasets", "applications"):
        import importlib

        return importlib.import_module("fastconv." + name)
    raise AttributeError(f"module 'fastconv.keras' has no attribute {name!r}")
