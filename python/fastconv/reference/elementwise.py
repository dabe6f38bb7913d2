"""float64 reference for merge layers, zero padding and reductions.

Merge ops (add, multiply, concat) take a list of same-shaped inputs, like the
Keras Add / Multiply / Concatenate layers, and their backward returns one
gradient per input, in input order.
"""

import numpy as np

from .._geometry import resolve_padding
from ._util import f64

__all__ = [
    "add_fwd", "add_bwd", "multiply_fwd", "multiply_bwd",
    "concat_fwd", "concat_bwd", "zero_pad2d_fwd", "zero_pad2d_bwd",
    "reduce_sum_fwd", "reduce_sum_bwd", "reduce_mean_fwd", "reduce_mean_bwd",
]


def _same_shapes(xs, op):
    xs = [f64(x) for x in xs]
    if not xs:
        raise ValueError(f"{op}: needs at least one input")
    for k, x in enumerate(xs[1:], 1):
        if x.shape != xs[0].shape:
            raise ValueError(f"{op}: input {k} has shape {x.shape}, input 0 has {xs[0].shape}")
    return xs


def add_fwd(xs):
    """xs: list of K arrays (...) -> y (...) = sum of the inputs."""
    xs = _same_shapes(xs, "add_fwd")
    y = np.zeros_like(xs[0])
    for x in xs:
        y += x
    return y


def add_bwd(dy, n):
    """dy (...), n inputs -> list of n arrays (...), each a copy of dy."""
    dy = f64(dy)
    return [dy.copy() for _ in range(n)]


def multiply_fwd(xs):
    """xs: list of K arrays (...) -> y (...) = elementwise product."""
    xs = _same_shapes(xs, "multiply_fwd")
    y = np.ones_like(xs[0])
    for x in xs:
        y *= x
    return y


def multiply_bwd(xs, dy):
    """xs: list of K arrays (...), dy (...) -> list of K arrays (...).

    dx_k = dy * product of the other inputs (no division, so zeros are fine).
    """
    xs = _same_shapes(xs, "multiply_bwd")
    dy = f64(dy)
    grads = []
    for k in range(len(xs)):
        g = dy.copy()
        for j, x in enumerate(xs):
            if j != k:
                g *= x
        grads.append(g)
    return grads


def concat_fwd(xs, axis=-1):
    """xs: list of arrays (..., C_k) -> y (..., sum C_k); default axis is channels."""
    return np.concatenate([f64(x) for x in xs], axis=axis)


def concat_bwd(dy, sizes, axis=-1):
    """dy (..., sum C_k), sizes = [C_0, C_1, ...] -> list of arrays (..., C_k)."""
    dy = f64(dy)
    if sum(sizes) != dy.shape[axis]:
        raise ValueError(f"concat_bwd: sizes {list(sizes)} do not sum to dy.shape[{axis}]={dy.shape[axis]}")
    cuts = np.cumsum(sizes)[:-1]
    return [part.copy() for part in np.split(dy, cuts, axis=axis)]


def zero_pad2d_fwd(x, pads):
    """x (N,H,W,C), pads ((top,bottom),(left,right)) or int or (ph,pw)
    -> y (N,H+top+bottom,W+left+right,C)."""
    (pt, pb), (pl, pr) = resolve_padding(pads, (1, 1), (1, 1), op="zero_pad2d_fwd")
    return np.pad(f64(x), ((0, 0), (pt, pb), (pl, pr), (0, 0)))


def zero_pad2d_bwd(dy, pads):
    """dy (N,H+top+bottom,W+left+right,C) -> dx (N,H,W,C): crop the padding off."""
    (pt, pb), (pl, pr) = resolve_padding(pads, (1, 1), (1, 1), op="zero_pad2d_bwd")
    dy = f64(dy)
    h, w = dy.shape[1] - pt - pb, dy.shape[2] - pl - pr
    return dy[:, pt:pt + h, pl:pl + w, :].copy()


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def reduce_sum_fwd(x, axis=None, keepdims=False):
    """x (...) -> sum over `axis` (None = all)."""
    return np.sum(f64(x), axis=None if axis is None else _axes(axis, np.ndim(x)), keepdims=keepdims)


def reduce_sum_bwd(dy, x_shape, axis=None, keepdims=False):
    """dy (reduced shape), x_shape -> dx (x_shape): broadcast dy back."""
    axes = _axes(axis, len(x_shape))
    dy = f64(dy)
    if not keepdims:
        dy = np.expand_dims(dy, axes)
    return np.broadcast_to(dy, tuple(x_shape)).copy()


def reduce_mean_fwd(x, axis=None, keepdims=False):
    """x (...) -> mean over `axis` (None = all)."""
    return np.mean(f64(x), axis=None if axis is None else _axes(axis, np.ndim(x)), keepdims=keepdims)


def reduce_mean_bwd(dy, x_shape, axis=None, keepdims=False):
    """dy (reduced shape), x_shape -> dx (x_shape) = broadcast dy / count."""
    axes = _axes(axis, len(x_shape))
    count = int(np.prod([x_shape[a] for a in axes], dtype=np.int64))
    return reduce_sum_bwd(dy, x_shape, axis, keepdims) / count
