"""The ops the Keras layers call, as tape-recorded functions (Tensors in, Tensors out).

Ops that fastconv.ops provides tape-aware (dense, relu, softmax, add, concat, reshape, ...) are used
as they are. For the rest (conv, pooling, dropout, batch norm, LRN) this module records the
backward itself on top of the kernel-level entry points, whose names and argument orders are those
of fastconv.reference (``conv2d_fwd``, ``conv2d_bwd_data``, ...): the native kernel is used when a
fastconv.ops submodule exports it, otherwise the float64 reference (cast to float32), so every layer
works — slowly — before its native kernel exists.

Also the global random state behind ``fastconv.random.set_seed`` (initializers, shuffling and
dropout seeds all draw from it).
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from fastconv import reference
from fastconv._geometry import normalize_pair, resolve_padding
from fastconv.autograd import Tensor, record, recording

_F32 = np.dtype(np.float32)

# ---- random state ----------------------------------------------------------------------------
_RNG = [np.random.default_rng()]


def set_seed(seed):
    """Make weight initialization, shuffling in fit() and dropout masks reproducible."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_seed: seed must be a non-negative int, got {seed!r}")
    _RNG[0] = np.random.default_rng(int(seed))


def global_rng() -> np.random.Generator:
    return _RNG[0]


def next_seed() -> int:
    """A fresh 63-bit seed from the global generator (for dropout calls)."""
    return int(_RNG[0].integers(0, 2 ** 63 - 1))


# ---- value helpers ---------------------------------------------------------------------------
def value(x) -> np.ndarray:
    """The float32 C-contiguous array behind a Tensor / Variable / array-like (no copy if possible)."""
    v = x._value if isinstance(x, Tensor) else x
    if type(v) is np.ndarray and v.dtype == _F32 and v.flags.c_contiguous:
        return v
    arr = np.asarray(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers, got dtype {arr.dtype} (shape {arr.shape})")
    return np.ascontiguousarray(arr, _F32)


def wrap(arr) -> Tensor:
    return Tensor(np.ascontiguousarray(arr, _F32))


def _kernel(name):
    """The native kernel-level function `name` if some fastconv.ops submodule has it, else the
    float64 reference wrapped to return float32."""
    for mod in ("conv", "pool", "nn", "norm", "dropout", "activation", "optim", "elementwise"):
        full = f"fastconv.ops.{mod}"
        module = sys.modules.get(full)
        if module is None:
            try:
                module = importlib.import_module(full)
            except ImportError:
                continue
        fn = getattr(module, name, None)
        if fn is not None:
            return fn
    ref = getattr(reference, name)

    def as_f32(*args, **kwargs):
        out = ref(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(o.astype(_F32) if isinstance(o, np.ndarray) and o.dtype.kind == "f"
                         else o for o in out)
        return out.astype(_F32)

    as_f32.__name__ = f"reference_{name}"
    return as_f32


_KERNELS = {}


def kernel(name):
    fn = _KERNELS.get(name)
    if fn is None:
        fn = _KERNELS[name] = _kernel(name)
    return fn


def _check4(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (batch, height, width, channels), "
                         f"got shape {x.shape}")


# ---- pooling ---------------------------------------------------------------------------------
def _pool(kind, x, pool_size, strides, padding):
    op = f"{kind}_pool2d"
    xv = value(x)
    _check4(xv, op)
    p = normalize_pair(pool_size, "pool_size", op)
    s = p if strides is None else normalize_pair(strides, "strides", op)
    pads = resolve_padding(padding, xv.shape[1:3], p, s, (1, 1), op)
    y = kernel(f"{kind}pool2d_fwd")(xv, p, s, pads)
    out = wrap(y)
    if recording():
        x_shape = xv.shape
        if kind == "max":
            def backward(dy, needs):
                return (kernel("maxpool2d_bwd")(xv, np.ascontiguousarray(dy, _F32), p, s, pads),)
        else:
            def backward(dy, needs):
                return (kernel("avgpool2d_bwd")(np.ascontiguousarray(dy, _F32), x_shape, p, s,
                                                pads),)
        record(op, (x,), out, backward)
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool("max", x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool("avg", x, pool_size, strides, padding)


def global_avg_pool2d(x):
    xv = value(x)
    _check4(xv, "global_avg_pool2d")
    out = wrap(kernel("global_avgpool2d_fwd")(xv))
    if recording():
        shape = xv.shape
        record("global_avg_pool2d", (x,), out, lambda dy, needs: (
            kernel("global_avgpool2d_bwd")(np.ascontiguousarray(dy, _F32), shape),))
    return out


def global_max_pool2d(x):
    xv = value(x)
    _check4(xv, "global_max_pool2d")
    out = wrap(kernel("global_maxpool2d_fwd")(xv))
    if recording():
        record("global_max_pool2d", (x,), out, lambda dy, needs: (
            kernel("global_maxpool2d_bwd")(xv, np.ascontiguousarray(dy, _F32)),))
    return out


# ---- dropout ---------------------------------------------------------------------------------
def dropout(x, rate, seed, training):
    """Inverted dropout with the reference's counter-based mask (identity unless training)."""
    if not training or rate == 0.0:
        return x if isinstance(x, Tensor) else wrap(value(x))
    xv = value(x)
    y, mask = kernel("dropout_fwd")(xv, rate, seed, True)
    out = wrap(y)
    if recording():
        record("dropout", (x,), out, lambda dy, needs: (
            kernel("dropout_bwd")(np.ascontiguousarray(dy, _F32), mask, rate),))
    return out


# ---- normalization ---------------------------------------------------------------------------
def batch_norm(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    """Batch normalization over the last axis. In training, the moving statistics (Variables)
    are updated in place with the batch statistics (biased variance, as Keras 3)."""
    xv = value(x)
    gv, bv = value(gamma), value(beta)
    y, new_mm, new_mv, mean, invstd = kernel("batch_norm_fwd")(
        xv, gv, bv, value(moving_mean), value(moving_var), bool(training), momentum, epsilon)
    if training:
        moving_mean.assign(np.asarray(new_mm, _F32))
        moving_var.assign(np.asarray(new_mv, _F32))
    out = wrap(y)
    if recording():
        c = xv.shape[-1]

        def backward(dy, needs):
            dy = np.ascontiguousarray(dy, _F32)
            if training:
                return kernel("batch_norm_bwd")(dy, xv, gv, mean, invstd)
            # inference: mean/invstd are constants
            flat_dy = dy.reshape(-1, c).astype(np.float64)
            xhat = (xv.reshape(-1, c) - mean) * invstd
            dx = (dy * (gv * invstd)).astype(_F32)
            dgamma = (flat_dy * xhat).sum(axis=0).astype(_F32)
            dbeta = flat_dy.sum(axis=0).astype(_F32)
            return dx, dgamma, dbeta

        record("batch_norm", (x, gamma, beta), out, backward)
    return out


def lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """tf.nn.local_response_normalization over the channel axis."""
    xv = value(x)
    _check4(xv, "local_response_normalization")
    out = wrap(kernel("lrn_fwd")(xv, depth_radius, bias, alpha, beta))
    if recording():
        record("lrn", (x,), out, lambda dy, needs: (
            kernel("lrn_bwd")(xv, np.ascontiguousarray(dy, _F32), depth_radius, bias, alpha,
                              beta),))
    return out
