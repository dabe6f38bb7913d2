"""Activation functions, by name or callable: 'relu', 'softmax', 'sigmoid', 'tanh', 'linear', None.

The functions take Tensors/arrays and return Tensors (recorded on the tape). Called on a symbolic
KerasTensor (functional model building) they add an Activation layer instead, so lab code such as
``x = tf.nn.relu(x)`` between functional layers works.
"""

from __future__ import annotations

from fastconv import ops

__all__ = ["relu", "softmax", "sigmoid", "tanh", "linear", "get", "serialize", "deserialize"]


def _symbolic(x, fn):
    from fastconv.keras.layers.core import Activation, KerasTensor

    if isinstance(x, KerasTensor):
        return Activation(fn)(x)
    return None


def relu(x):
    """max(x, 0)."""
    return _symbolic(x, relu) or ops.relu(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`."""
    if axis != -1:
        return ops.softmax(x, axis=axis)
    return _symbolic(x, softmax) or ops.softmax(x)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _symbolic(x, sigmoid) or ops.sigmoid(x)


def tanh(x):
    return _symbolic(x, tanh) or ops.tanh(x)


def linear(x):
    """Identity."""
    return x


_BY_NAME = {"relu": relu, "softmax": softmax, "sigmoid": sigmoid, "tanh": tanh, "linear": linear}


def get(identifier):
    """None / name / callable -> callable (None and 'linear' give `linear`)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(f"activation: unknown name {identifier!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a callable")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"activation: expected None, a name or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(fn):
    """callable -> its name for get_config (custom callables keep their __name__)."""
    for name, known in _BY_NAME.items():
        if fn is known:
            return name
    return getattr(fn, "__name__", repr(fn))


def deserialize(name):
    return get(name)
