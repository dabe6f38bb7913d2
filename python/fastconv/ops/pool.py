"""Pooling ops (NHWC, TensorFlow/Keras semantics) on the native kernels.

Low-level entry points mirror ``fastconv.reference.pool`` (same names, same argument order,
explicit pads); the user-facing ``max_pool2d`` / ``avg_pool2d`` / ``global_*_pool2d`` take Keras
arguments. All return float32 NumPy arrays.
"""

from __future__ import annotations

from fastconv import _core
from fastconv._geometry import normalize_pair, pool_output_hw, resolve_padding
from fastconv.ops._check import as_float32, check_geometry, check_rank

__all__ = [
    "maxpool2d_fwd", "maxpool2d_bwd", "avgpool2d_fwd", "avgpool2d_bwd",
    "global_avgpool2d_fwd", "global_avgpool2d_bwd",
    "global_maxpool2d_fwd", "global_maxpool2d_bwd",
    "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d",
]


def _geometry(x_shape, pool, strides, pads, op, padding=None):
    """-> flat ints (ph, pw, sh, sw, pt, pb, pl, pr) after checking every window holds a real cell."""
    ph, pw = normalize_pair(pool, "pool_size", op)
    sh, sw = normalize_pair(strides, "strides", op)
    if isinstance(pads, str):
        raise ValueError(f"{op}: low-level entry points need explicit pads, got {pads!r}")
    (pt, pb), (pl, pr) = resolve_padding(pads, (1, 1), (1, 1), op=op)
    check_geometry(op, pool_size=(ph, pw), strides=(sh, sw), pads=((pt, pb), (pl, pr)))
    oh, ow = pool_output_hw(x_shape[1:3], (ph, pw), (sh, sw), ((pt, pb), (pl, pr)), op=op,
                            x_shape=x_shape, padding=padding)
    h, w = x_shape[1], x_shape[2]
    if pt >= ph or pl >= pw or (oh - 1) * sh - pt >= h or (ow - 1) * sw - pl >= w:
        raise ValueError(
            f"{op}: some output window holds only padding (x.shape={tuple(x_shape)}, "
            f"pool={(ph, pw)}, strides={(sh, sw)}, pads={((pt, pb), (pl, pr))})")
    return ph, pw, sh, sw, pt, pb, pl, pr


def _image(x, op, arg="x"):
    arr = as_float32(x, op, arg)
    check_rank(arr, 4, op, arg, "(N,H,W,C)")
    if arr.shape[1] < 1 or arr.shape[2] < 1:
        raise ValueError(f"{op}: {arg} needs H, W >= 1, got shape {arr.shape}")
    return arr


def _x_shape(x_shape, op):
    try:
        shape = tuple(int(s) for s in x_shape)
    except TypeError:
        raise TypeError(f"{op}: x_shape must be a sequence of 4 ints, got {x_shape!r}") from None
    if len(shape) != 4 or min(shape) < 0 or shape[1] < 1 or shape[2] < 1:
        raise ValueError(f"{op}: x_shape must be (N,H,W,C) with H, W >= 1, got {x_shape!r}")
    return shape


def _grad(dy, expected, op):
    dy = as_float32(dy, op, "dy")
    if dy.shape != tuple(expected):
        raise ValueError(f"{op}: dy.shape={dy.shape}, expected {tuple(expected)}")
    return dy


def maxpool2d_fwd(x, pool, strides, pads):
    """x (N,H,W,C) -> y (N,OH,OW,C); max over the real cells of each window."""
    x = _image(x, "maxpool2d_fwd")
    return _core.maxpool2d_fwd(x, *_geometry(x.shape, pool, strides, pads, "maxpool2d_fwd"))


def maxpool2d_bwd(x, dy, pool, strides, pads, relu_mask=False):
    """x (N,H,W,C), dy (N,OH,OW,C) -> dx (N,H,W,C); each window's dy goes to its first arg-max.

    relu_mask=True: x is a ReLU's output and the result is the gradient of the ReLU's input,
    ``relu_bwd(x, maxpool2d_bwd(x, dy))`` in one pass (dy passes only where the max is > 0).
    """
    op = "maxpool2d_bwd"
    x = _image(x, op)
    g = _geometry(x.shape, pool, strides, pads, op)
    dy = _grad(dy, _out_shape(x.shape, g), op)
    return _core.maxpool2d_bwd(x, dy, *g, bool(relu_mask))


def avgpool2d_fwd(x, pool, strides, pads):
    """x (N,H,W,C) -> y (N,OH,OW,C); mean over the real (non-padding) cells."""
    x = _image(x, "avgpool2d_fwd")
    return _core.avgpool2d_fwd(x, *_geometry(x.shape, pool, strides, pads, "avgpool2d_fwd"))


def avgpool2d_bwd(dy, x_shape, pool, strides, pads):
    """dy (N,OH,OW,C), x_shape (N,H,W,C) -> dx (N,H,W,C)."""
    op = "avgpool2d_bwd"
    x_shape = _x_shape(x_shape, op)
    g = _geometry(x_shape, pool, strides, pads, op)
    dy = _grad(dy, _out_shape(x_shape, g), op)
    return _core.avgpool2d_bwd(dy, list(x_shape), *g)


def _out_shape(x_shape, g):
    ph, pw, sh, sw, pt, pb, pl, pr = g
    n, h, w, c = x_shape
    return (n, (h + pt + pb - ph) // sh + 1, (w + pl + pr - pw) // sw + 1, c)


def global_avgpool2d_fwd(x):
    """x (N,H,W,C) -> y (N,C)."""
    return _core.global_avgpool2d_fwd(_image(x, "global_avgpool2d_fwd"))


def global_avgpool2d_bwd(dy, x_shape):
    """dy (N,C), x_shape (N,H,W,C) -> dx (N,H,W,C)."""
    op = "global_avgpool2d_bwd"
    x_shape = _x_shape(x_shape, op)
    dy = _grad(dy, (x_shape[0], x_shape[3]), op)
    return _core.global_avgpool2d_bwd(dy, list(x_shape))


def global_maxpool2d_fwd(x):
    """x (N,H,W,C) -> y (N,C)."""
    return _core.global_maxpool2d_fwd(_image(x, "global_maxpool2d_fwd"))


def global_maxpool2d_bwd(x, dy):
    """x (N,H,W,C), dy (N,C) -> dx (N,H,W,C); the first max in row-major (h, w) order wins."""
    op = "global_maxpool2d_bwd"
    x = _image(x, op)
    dy = _grad(dy, (x.shape[0], x.shape[3]), op)
    return _core.global_maxpool2d_bwd(x, dy)


def _user_pool(kernel, op, x, pool_size, strides, padding):
    x = _image(x, op)
    p = normalize_pair(pool_size, "pool_size", op)
    s = p if strides is None else normalize_pair(strides, "strides", op)
    pads = resolve_padding(padding, x.shape[1:3], p, s, (1, 1), op)
    return kernel(x, *_geometry(x.shape, p, s, pads, op, padding=padding))


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras MaxPooling2D: x (N,H,W,C) -> y (N,OH,OW,C); strides default to pool_size;
    padding 'valid' / 'same' in any case ('same' windows take the max of their real cells)."""
    return _user_pool(_core.maxpool2d_fwd, "max_pool2d", x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras AveragePooling2D: x (N,H,W,C) -> y (N,OH,OW,C); 'same' divides by real cells."""
    return _user_pool(_core.avgpool2d_fwd, "avg_pool2d", x, pool_size, strides, padding)


def global_avg_pool2d(x):
    """Keras GlobalAveragePooling2D: x (N,H,W,C) -> y (N,C)."""
    return _core.global_avgpool2d_fwd(_image(x, "global_avg_pool2d"))


def global_max_pool2d(x):
    """Keras GlobalMaxPooling2D: x (N,H,W,C) -> y (N,C)."""
    return _core.global_maxpool2d_fwd(_image(x, "global_max_pool2d"))


def maxpool2d_kernel_name() -> str:
    """Name of the max-pooling microkernel of the active ISA (for benchmarks and logs)."""
    return _core.maxpool2d_kernel_name()


