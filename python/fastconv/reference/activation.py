"""float64 reference for activations and bias addition.

Backward convention: relu_bwd takes the forward INPUT x; sigmoid_bwd,
tanh_bwd and softmax_bwd take the forward OUTPUT y (their derivatives are
cheapest in terms of y, and that is what the native layers keep).
"""

import numpy as np

from ._util import f64

__all__ = [
    "relu_fwd", "relu_bwd", "bias_add_fwd", "bias_add_bwd",
    "softmax_fwd", "softmax_bwd",
    "sigmoid_fwd", "sigmoid_bwd", "tanh_fwd", "tanh_bwd",
]


def relu_fwd(x):
    """x (...) -> y (...) = max(x, 0)."""
    return np.maximum(f64(x), 0.0)


def relu_bwd(x, dy):
    """x (...), dy (...) -> dx (...); gradient is 0 where x <= 0 (including exactly 0)."""
    x, dy = f64(x), f64(dy)
    return np.where(x > 0, dy, 0.0)


def bias_add_fwd(x, b):
    """x (..., C), b (C,) -> y (..., C)."""
    x, b = f64(x), f64(b)
    if b.shape != (x.shape[-1],):
        raise ValueError(f"bias_add_fwd: b.shape={b.shape} does not match x.shape={x.shape} last axis")
    return x + b


def bias_add_bwd(dy):
    """dy (..., C) -> db (C,); sum over every axis but the last."""
    dy = f64(dy)
    return dy.reshape(-1, dy.shape[-1]).sum(axis=0)


def softmax_fwd(logits):
    """logits (..., K) -> p (..., K); softmax over the last axis.

    The row max is subtracted first so exp never overflows.
    """
    z = f64(logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_bwd(y, dy):
    """y (..., K) softmax output, dy (..., K) -> dlogits (..., K) = y * (dy - sum(dy * y))."""
    y, dy = f64(y), f64(dy)
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


def sigmoid_fwd(x):
    """x (...) -> y (...) = 1 / (1 + exp(-x)), written per sign so exp never overflows."""
    x = f64(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_bwd(y, dy):
    """y (...) sigmoid output, dy (...) -> dx (...) = dy * y * (1 - y)."""
    y, dy = f64(y), f64(dy)
    return dy * y * (1.0 - y)


def tanh_fwd(x):
    """x (...) -> y (...) = tanh(x)."""
    return np.tanh(f64(x))


def tanh_bwd(y, dy):
    """y (...) tanh output, dy (...) -> dx (...) = dy * (1 - y^2)."""
    y, dy = f64(y), f64(dy)
    return dy * (1.0 - y * y)
