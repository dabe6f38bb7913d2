"""User-facing ops: accept Tensors/Variables/arrays, return Tensors, record their backward.

Each op computes its forward, wraps the result, and — only when a tape is recording in this
thread — records a ``backward(dy, needs)`` closure written right next to the forward. The closure
keeps only what the backward needs and returns one gradient (or None) per input; ``needs[k]`` is
False for inputs no requested source depends on, so their gradient is never computed.

The per-op Python path is kept lean on purpose (batch-1 inference is dominated by it): inputs are
unwrapped and converted once, shapes are checked by the kernel-level functions in gemm.py etc.,
whose errors name the op and the shapes.
"""

from __future__ import annotations

import weakref

import numpy as np

from fastconv import _core
from fastconv._geometry import conv_output_hw, normalize_pair, resolve_padding
from fastconv.autograd._state import _STATE, record
from fastconv.autograd.tensor import Tensor, _wrap
from fastconv.ops.conv import conv2d as _np_conv2d
from fastconv.ops.conv import conv2d_bwd_data as _conv2d_bwd_data
from fastconv.ops.conv import conv2d_bwd_filter as _conv2d_bwd_filter
from fastconv.ops.gemm import dense as _np_dense, matmul as _np_matmul
from fastconv.ops import nn as _nn
from fastconv.ops import pool as _pool
from fastconv.ops._check import as_float32, check_activation, check_alloc, check_geometry

__all__ = [
    "matmul", "dense", "conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d",
    "global_max_pool2d", "dropout", "batch_norm", "lrn", "relu", "sigmoid", "tanh", "softmax",
    "softmax_cross_entropy",
    "add", "multiply", "concat", "reshape", "flatten", "transpose", "zero_pad2d",
    "reduce_sum", "reduce_mean",
]

_F32 = np.dtype(np.float32)
_ndarray = np.ndarray
# activation argument -> fuse a ReLU? (the common spellings, so the hot path skips the check)
_RELU = {None: False, "linear": False, "relu": True}


# ReLU + max-pool backward fusion. A 'SAME'/'VALID' max pool right after a ReLU (the lab CNN's
# Conv-ReLU-Pool) would take two passes over the large pre-pool map in backward: the pool's
# gradient routing, then relu_bwd. Instead the pool's backward applies the ReLU mask itself
# (maxpool2d_bwd(relu_mask=True): dy passes only where the window max is > 0) and the ReLU's
# backward skips its own pass when handed exactly that array.
#   _RELU_OUT:    id(y) -> y for ReLU outputs still alive (the only inputs the pool masks for);
#   _RELU_MASKED: (id(dx), id(y)) -> dx, the pool gradients already masked by y > 0.
# Weak values: entries vanish with the arrays, and a lookup compares identity, so a reused id
# can never match a different array. A gradient that the tape summed from several consumers is
# a new array, not in the table, so relu_bwd still runs on it.
_RELU_OUT = weakref.WeakValueDictionary()
_RELU_MASKED = weakref.WeakValueDictionary()


def _relu_masked(dy, y) -> bool:
    return _RELU_MASKED.get((id(dy), id(y))) is dy


def _fused_relu(activation, op):
    try:
        return _RELU[activation]
    except (KeyError, TypeError):
        return check_activation(activation, op) == "relu"


def _f32(x, op, arg):
    """The float32 C-contiguous array behind x (a Tensor's own buffer when it already is one)."""
    v = x._value if isinstance(x, Tensor) else x
    if type(v) is _ndarray and v.dtype == _F32 and v.flags.c_contiguous:
        return v
    return as_float32(v, op, arg)


def _gemm(a, b, ta=False, tb=False):
    m = a.shape[1] if ta else a.shape[0]
    n = b.shape[0] if tb else b.shape[1]
    c = np.empty((m, n), _F32)
    _core.gemm(np.ascontiguousarray(a, _F32), np.ascontiguousarray(b, _F32), c, 1.0, 0.0, ta, tb)
    return c


# ---- matrix products -----------------------------------------------------------------------
def matmul(a, b, transpose_a=False, transpose_b=False) -> Tensor:
    """op(a) @ op(b) for 2-D operands: a (M,K) [(K,M) if transpose_a], b (K,N) [(N,K)] -> (M,N)."""
    av, bv = _f32(a, "matmul", "a"), _f32(b, "matmul", "b")
    ta, tb = transpose_a, transpose_b
    out = _wrap(_np_matmul(av, bv, ta, tb))
    if _STATE.tapes:
        def backward(dy, needs):
            da = db = None
            if needs[0]:
                da = _gemm(bv, dy, tb, True) if ta else _gemm(dy, bv, False, not tb)
            if needs[1]:
                db = _gemm(dy, av, True, ta) if tb else _gemm(av, dy, not ta, False)
            return da, db
        record("matmul", (a, b), out, backward)
    return out


def dense(x, w, b=None, activation=None) -> Tensor:
    """act(x @ w + b) in one fused GEMM pass: x (N,IN), w (IN,OUT), b (OUT,) or None -> (N,OUT).

    activation: None/'linear' or 'relu'.
    """
    xv, wv = _f32(x, "dense", "x"), _f32(w, "dense", "w")
    bv = None if b is None else _f32(b, "dense", "b")
    relu = _fused_relu(activation, "dense")
    if (xv.ndim == 2 and wv.ndim == 2 and xv.shape[1] == wv.shape[0]
            and (bv is None or bv.shape == (wv.shape[1],))):
        check_alloc((xv.shape[0], wv.shape[1]), "dense", "the output")
        y = np.empty((xv.shape[0], wv.shape[1]), _F32)
        _core.gemm(xv, wv, y, 1.0, 0.0, False, False, bv, relu)
    else:
        y = _np_dense(xv, wv, bv, activation)  # raises the error naming the shapes
    out = _wrap(y)
    if _STATE.tapes:
        def backward(dy, needs):
            if relu:
                dy = _nn.relu_bwd(y, dy)  # y > 0 exactly where the pre-activation is
            return (_gemm(dy, wv, False, True) if needs[0] else None,
                    _gemm(xv, dy, True, False) if needs[1] else None,
                    _nn.bias_add_bwd(dy) if needs[2] else None)
        record("dense_relu" if relu else "dense", (x, w, b), out, backward)
    return out


# ---- convolution -------------------------------------------------------------------------
# Resolved geometry per (x.shape, kernel.shape, strides, padding, dilation_rate): the first call
# with a new key goes through ops.conv.conv2d's full validation, later calls skip it (batch-1
# inference spends more time in Python argument handling than in the kernel otherwise).
_CONV_GEOMETRY = {}


def _conv_geometry(xv, wv, strides, padding, dilation_rate):
    try:
        key = (xv.shape, wv.shape, strides, padding, dilation_rate)
        return key, _CONV_GEOMETRY.get(key)
    except TypeError:  # unhashable argument (a list): no caching
        return None, None


def conv2d(x, kernel, b=None, strides=1, padding="valid", dilation_rate=1,
           activation=None) -> Tensor:
    """Keras Conv2D: x (N,H,W,C), kernel (KH,KW,C,F), b (F,) or None -> (N,OH,OW,F).

    padding 'valid'/'same' (any case, TensorFlow's rule) or explicit ((t, b), (l, r));
    strides / dilation_rate int or pair; activation None/'linear'/'relu' (fused).
    """
    xv, wv = _f32(x, "conv2d", "x"), _f32(kernel, "conv2d", "kernel")
    bv = None if b is None else _f32(b, "conv2d", "b")
    key, geo = _conv_geometry(xv, wv, strides, padding, dilation_rate)
    relu = _fused_relu(activation, "conv2d")
    if geo is not None and (bv is None or bv.shape == (wv.shape[3],)):
        s, pads, d = geo
        y = _core.conv2d_fwd(xv, wv, bv, s[0], s[1], pads[0][0], pads[0][1], pads[1][0],
                             pads[1][1], d[0], d[1], relu)
    else:
        y = _np_conv2d(xv, wv, bv, strides, padding, dilation_rate, activation)  # validates
        s = normalize_pair(strides, "strides", "conv2d")
        d = normalize_pair(dilation_rate, "dilation_rate", "conv2d")
        pads = resolve_padding(padding, xv.shape[1:3], wv.shape[:2], s, d, "conv2d")
        if key is not None:
            if len(_CONV_GEOMETRY) > 4096:
                _CONV_GEOMETRY.clear()
            _CONV_GEOMETRY[key] = (s, pads, d)
    out = _wrap(y)
    if _STATE.tapes:
        if relu:
            _RELU_OUT[id(y)] = y

        def backward(dy, needs):
            if relu and not _relu_masked(dy, y):
                dy = _nn.relu_bwd(y, dy)
            dx = _conv2d_bwd_data(dy, wv, xv.shape, s, pads, d) if needs[0] else None
            dw = db = None
            if needs[1] or needs[2]:
                dw, db = _conv2d_bwd_filter(xv, dy, wv.shape, s, pads, d)
            return dx, dw, db
        record("conv2d_relu" if relu else "conv2d", (x, kernel, b), out, backward)
    return out


# ---- activations ---------------------------------------------------------------------------
def relu(x) -> Tensor:
    """max(x, 0) elementwise; the gradient is 0 where x <= 0."""
    xv = _f32(x, "relu", "x")
    # np.maximum, not _core.relu_fwd: the native kernel turns NaN into 0, and NaN must propagate
    # (as in the reference and the GEMM's fused ReLU)
    y = np.maximum(xv, np.float32(0))
    out = _wrap(y)
    if _STATE.tapes:
        _RELU_OUT[id(y)] = y
        # y > 0 exactly where x > 0 (NaN: neither), so a gradient masked by y needs no more.
        record("relu", (x,), out, lambda dy, needs: (
            dy if _relu_masked(dy, y) else _nn.relu_bwd(xv, dy),))
    return out


def sigmoid(x) -> Tensor:
    """1 / (1 + exp(-x)), evaluated per sign so exp never overflows."""
    xv = _f32(x, "sigmoid", "x")
    e = np.exp(-np.abs(xv))
    y = np.where(xv >= 0, 1 / (1 + e), e / (1 + e)).astype(_F32, copy=False)
    out = _wrap(y)
    if _STATE.tapes:
        record("sigmoid", (x,), out, lambda dy, needs: (dy * y * (1 - y),))
    return out


def tanh(x) -> Tensor:
    xv = _f32(x, "tanh", "x")
    y = np.tanh(xv)
    out = _wrap(y)
    if _STATE.tapes:
        record("tanh", (x,), out, lambda dy, needs: (dy * (1 - y * y),))
    return out


def softmax(x, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (the row max is subtracted first)."""
    xv = _f32(x, "softmax", "x")
    axis = _axes(axis, xv.ndim, "softmax", single=True)[0]
    if xv.size == 0:  # nothing to normalise (and max() of an empty axis would raise)
        y = xv.copy()
        out = _wrap(y)
        if _STATE.tapes:
            record("softmax", (x,), out, lambda dy, needs: (np.zeros_like(y),))
        return out
    if axis == xv.ndim - 1:  # the native kernel works on the last axis
        y = _nn.softmax_fwd(xv)
        out = _wrap(y)
        if _STATE.tapes:
            record("softmax", (x,), out, lambda dy, needs: (_nn.softmax_bwd(y, dy),))
        return out
    e = np.exp(xv - xv.max(axis=axis, keepdims=True))
    y = e / e.sum(axis=axis, keepdims=True)
    out = _wrap(y)
    if _STATE.tapes:
        def backward(dy, needs):
            return (y * (dy - (dy * y).sum(axis=axis, keepdims=True)),)
        record("softmax", (x,), out, backward)
    return out


def softmax_cross_entropy(labels, logits) -> Tensor:
    """Mean over the batch of -sum_k t_k log softmax(logits)_k, as a scalar Tensor.

    labels: (N,) integer class ids (sparse) or (N,K) one-hot / probabilities; logits (N,K).
    Not differentiated with respect to labels. The native kernel returns dlogits with the loss.
    """
    zv = _f32(logits, "softmax_cross_entropy", "logits")
    lab = labels._value if isinstance(labels, Tensor) else labels
    if zv.ndim == 2 and zv.shape[0] == 0:  # an empty batch: the mean of nothing is NaN (as TF)
        loss, dlogits = float("nan"), np.zeros(zv.shape, _F32)
    else:
        try:
            loss, dlogits = _nn.softmax_xent_fwd(zv, lab)
        except (ValueError, TypeError) as e:  # name the user-facing op
            raise type(e)(str(e).replace("softmax_xent_fwd", "softmax_cross_entropy")) from None
    out = _wrap(np.asarray(loss, _F32))
    if _STATE.tapes:
        record("softmax_cross_entropy", (labels, logits), out,
               lambda dy, needs: (None, dlogits * dy))
    return out


# ---- pooling -------------------------------------------------------------------------------
_POOL_GEOMETRY = {}


def _pool_forward(op, fwd_kernel, x, pool_size, strides, padding):
    """Shared forward of max/avg pooling: cached geometry after the first validated call.
    Returns (xv, y, geometry (ph, pw, sh, sw, pt, pb, pl, pr))."""
    xv = _f32(x, op, "x")
    try:
        key = (op, xv.shape, pool_size, strides, padding)
        g = _POOL_GEOMETRY.get(key)
    except TypeError:  # unhashable argument: no caching
        key = g = None
    if g is None:
        y = (_pool.max_pool2d if op == "max_pool2d" else _pool.avg_pool2d)(
            xv, pool_size, strides, padding)  # validates, names the op and shapes
        g = _pool_args(op[:3], xv.shape[1:3], pool_size, strides, padding)
        if key is not None:
            if len(_POOL_GEOMETRY) > 4096:
                _POOL_GEOMETRY.clear()
            _POOL_GEOMETRY[key] = g
    else:
        y = fwd_kernel(xv, *g)
    return xv, y, g


def max_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Keras MaxPooling2D: x (N,H,W,C) -> (N,OH,OW,C); strides default to pool_size; padding
    'valid'/'same' (any case). The gradient goes to each window's first arg-max."""
    xv, y, g = _pool_forward("max_pool2d", _core.maxpool2d_fwd, x, pool_size, strides, padding)
    out = _wrap(y)
    if _STATE.tapes:
        after_relu = _RELU_OUT.get(id(xv)) is xv

        def backward(dy, needs):
            dx = _core.maxpool2d_bwd(xv, np.ascontiguousarray(dy, _F32), *g, after_relu)
            if after_relu:
                _RELU_MASKED[(id(dx), id(xv))] = dx
            return (dx,)
        record("max_pool2d", (x,), out, backward)
    return out


def avg_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Keras AveragePooling2D: x (N,H,W,C) -> (N,OH,OW,C); 'same' windows average their real
    (non-padding) cells."""
    xv, y, g = _pool_forward("avg_pool2d", _core.avgpool2d_fwd, x, pool_size, strides, padding)
    out = _wrap(y)
    if _STATE.tapes:
        x_shape = list(xv.shape)

        def backward(dy, needs):
            return (_core.avgpool2d_bwd(np.ascontiguousarray(dy, _F32), x_shape, *g),)
        record("avg_pool2d", (x,), out, backward)
    return out


def global_avg_pool2d(x) -> Tensor:
    """Keras GlobalAveragePooling2D: x (N,H,W,C) -> (N,C)."""
    xv = _f32(x, "global_avg_pool2d", "x")
    out = _wrap(_pool.global_avg_pool2d(xv))
    if _STATE.tapes:
        x_shape = xv.shape
        record("global_avg_pool2d", (x,), out,
               lambda dy, needs: (_pool.global_avgpool2d_bwd(dy, x_shape),))
    return out


def global_max_pool2d(x) -> Tensor:
    """Keras GlobalMaxPooling2D: x (N,H,W,C) -> (N,C); the gradient goes to the first max."""
    xv = _f32(x, "global_max_pool2d", "x")
    out = _wrap(_pool.global_max_pool2d(xv))
    if _STATE.tapes:
        record("global_max_pool2d", (x,), out,
               lambda dy, needs: (_pool.global_maxpool2d_bwd(xv, dy),))
    return out


# ---- dropout and normalisation ------------------------------------------------------------
_SEEDS = np.random.default_rng()


def dropout(x, rate, seed=None, training=False) -> Tensor:
    """Keras Dropout (inverted): in training, zero each element with probability `rate` and scale
    the others by 1 / (1 - rate); otherwise the identity (x itself is returned).

    seed: an int in [0, 2**64) makes the mask a pure function of (seed, element index) (the
    counter-based generator of fastconv.reference.dropout); None draws a fresh seed per call.
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) \
            or not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be a number in [0, 1), got {rate!r}")
    if not training or rate == 0:
        return x if isinstance(x, Tensor) else _wrap(_f32(x, "dropout", "x"))
    xv = _f32(x, "dropout", "x")
    if seed is None:
        seed = int(_SEEDS.integers(0, 2**63))
    y, mask = _nn.dropout_fwd(xv, rate, seed, True)
    out = _wrap(y)
    if _STATE.tapes:
        record("dropout", (x,), out, lambda dy, needs: (_nn.dropout_bwd(dy, mask, rate),))
    return out


def _stat_buffer(v, op, arg):
    if isinstance(v, Tensor):
        return v._value
    if isinstance(v, np.ndarray) and v.dtype == _F32:
        if not v.flags.writeable:  # checked before computing anything (no partial update)
            raise ValueError(f"{op}: {arg} is read-only but training=True updates it in place")
        return v
    raise TypeError(f"{op}: {arg} must be float32 (a Variable or a float32 ndarray: it is updated "
                    f"in place in training mode), got {type(v).__name__} of dtype "
                    f"{getattr(v, 'dtype', None)}")


def batch_norm(x, gamma, beta, moving_mean, moving_var, training=False, momentum=0.99,
               epsilon=1e-3) -> Tensor:
    """Keras BatchNormalization over the last axis: x (..., C), gamma/beta/moving_* (C,).

    training=True normalises with the batch statistics (biased variance) and updates
    moving_mean / moving_var IN PLACE (Variables or float32 arrays):
    moving = moving * momentum + batch_stat * (1 - momentum). training=False uses the moving
    statistics, which stay untouched. Gradients flow to x, gamma and beta in both modes.
    """
    op = "batch_norm"
    xv = _f32(x, op, "x")
    gv, bv = _f32(gamma, op, "gamma"), _f32(beta, op, "beta")
    training = bool(training)
    if training:
        mm = _stat_buffer(moving_mean, op, "moving_mean")
        mv = _stat_buffer(moving_var, op, "moving_var")
    else:
        mm = moving_mean._value if isinstance(moving_mean, Tensor) else moving_mean
        mv = moving_var._value if isinstance(moving_var, Tensor) else moving_var
    y, new_mean, new_var, save_mean, save_invstd = _nn.batch_norm_fwd(
        xv, gv, bv, mm, mv, training, momentum, epsilon)
    if training:
        mm[...] = new_mean
        mv[...] = new_var
    out = _wrap(y)
    if _STATE.tapes:
        c = xv.shape[-1]

        def backward(dy, needs):
            if training:
                return tuple(_nn.batch_norm_bwd(dy, xv, gv, save_mean, save_invstd)) + (None, None)
            # inference: y = gamma * (x - mean) * invstd + beta with constant statistics
            d2 = dy.reshape(-1, c)
            xhat = (xv.reshape(-1, c) - save_mean) * save_invstd
            return ((dy * (gv * save_invstd)).astype(_F32, copy=False) if needs[0] else None,
                    (d2 * xhat).sum(axis=0).astype(_F32) if needs[1] else None,
                    d2.sum(axis=0).astype(_F32) if needs[2] else None, None, None)
        record("batch_norm_train" if training else "batch_norm", (x, gamma, beta, moving_mean,
                                                                  moving_var), out, backward)
    return out


def lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5) -> Tensor:
    """tf.nn.local_response_normalization over the last axis: x / (bias + alpha * sum of squares
    over the 2 * depth_radius + 1 neighbouring channels) ** beta."""
    xv = _f32(x, "lrn", "x")
    out = _wrap(_nn.lrn_fwd(xv, depth_radius, bias, alpha, beta))
    if _STATE.tapes:
        record("lrn", (x,), out,
               lambda dy, needs: (_nn.lrn_bwd(xv, dy, depth_radius, bias, alpha, beta),))
    return out


# ---- merges --------------------------------------------------------------------------------
def _same_shape_inputs(xs, op):
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"{op}: expected a list of inputs, got {type(xs).__name__}")
    if not xs:
        raise ValueError(f"{op}: needs at least one input")
    vs = [_f32(x, op, f"inputs[{k}]") for k, x in enumerate(xs)]
    for k, v in enumerate(vs[1:], 1):
        if v.shape != vs[0].shape:
            raise ValueError(f"{op}: input {k} has shape {v.shape}, input 0 has {vs[0].shape}")
    return vs


def add(xs) -> Tensor:
    """Elementwise sum of a list of same-shaped inputs (Keras Add, ResNet skip connections)."""
    vs = _same_shape_inputs(xs, "add")
    y = vs[0].copy()
    for v in vs[1:]:
        y += v
    out = _wrap(y)
    if _STATE.tapes:
        record("add_n", tuple(xs), out,
               lambda dy, needs: tuple(dy if need else None for need in needs))
    return out


def multiply(xs) -> Tensor:
    """Elementwise product of a list of same-shaped inputs (Keras Multiply)."""
    vs = _same_shape_inputs(xs, "multiply")
    y = vs[0].copy()
    for v in vs[1:]:
        y *= v
    out = _wrap(y)
    if _STATE.tapes:
        def backward(dy, needs):
            grads = []
            for k, need in enumerate(needs):
                g = None
                if need:  # product of the others (no division, so zeros are fine)
                    g = dy.copy()
                    for j, v in enumerate(vs):
                        if j != k:
                            g *= v
                grads.append(g)
            return tuple(grads)
        record("multiply_n", tuple(xs), out, backward)
    return out


def concat(xs, axis=-1) -> Tensor:
    """Concatenate along `axis` (channels by default, as Inception's filter concatenation)."""
    op = "concat"
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)) or not xs:
        raise TypeError(f"{op}: expected a non-empty list of inputs")
    vs = [_f32(x, op, f"inputs[{k}]") for k, x in enumerate(xs)]
    try:
        y = np.concatenate(vs, axis=axis)
    except ValueError:  # includes AxisError
        raise ValueError(f"{op}: cannot concatenate shapes {[v.shape for v in vs]} along axis "
                         f"{axis}") from None
    out = _wrap(y)
    if _STATE.tapes:
        cuts = np.cumsum([v.shape[axis] for v in vs])[:-1]

        def backward(dy, needs):
            parts = np.split(dy, cuts, axis=axis)
            return tuple(np.ascontiguousarray(p) if need else None
                         for p, need in zip(parts, needs))
        record("concat", tuple(xs), out, backward)
    return out


# ---- shape ops -----------------------------------------------------------------------------
def reshape(x, shape) -> Tensor:
    """x with a new shape (one -1 allowed); shares x's buffer."""
    xv = x._value if isinstance(x, Tensor) else as_float32(x, "reshape", "x")
    try:
        y = xv.reshape(shape)
    except (ValueError, TypeError) as e:
        raise ValueError(f"reshape: cannot reshape x.shape={xv.shape} to {shape}: {e}") from None
    out = _wrap(y)
    if _STATE.tapes:
        x_shape = xv.shape
        record("reshape", (x,), out, lambda dy, needs: (dy.reshape(x_shape),))
    return out


def flatten(x) -> Tensor:
    """(N, ...) -> (N, prod(...)), as Keras Flatten."""
    xv = x._value if isinstance(x, Tensor) else as_float32(x, "flatten", "x")
    if xv.ndim < 1:
        raise ValueError(f"flatten: x needs a batch axis, got shape {xv.shape}")
    return reshape(x, (xv.shape[0], -1) if xv.shape[0] else (0, int(np.prod(xv.shape[1:]))))


def transpose(x, perm=None) -> Tensor:
    """Permute the axes (reverse them when perm is None); the result is C-contiguous."""
    xv = x._value if isinstance(x, Tensor) else as_float32(x, "transpose", "x")
    if perm is not None:
        try:
            perm = tuple(perm)
        except TypeError:
            raise TypeError(f"transpose: perm must be a sequence of axes, got {perm!r}") from None
        if (any(isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer))
                for p in perm) or sorted(int(p) for p in perm) != list(range(xv.ndim))):
            raise ValueError(f"transpose: perm must be a permutation of range({xv.ndim}) for "
                             f"x.shape={xv.shape}, got {perm!r}")
    y = np.asarray(np.transpose(xv, perm), order="C")
    out = _wrap(y)
    if _STATE.tapes:
        inv = None if perm is None else tuple(np.argsort(perm))
        record("transpose", (x,), out,
               lambda dy, needs: (np.asarray(np.transpose(dy, inv), order="C"),))
    return out


def zero_pad2d(x, padding=1) -> Tensor:
    """x (N,H,W,C) -> (N,H+top+bottom,W+left+right,C). padding: int, (ph, pw) or
    ((top, bottom), (left, right)), as Keras ZeroPadding2D."""
    op = "zero_pad2d"
    xv = _f32(x, op, "x")
    if xv.ndim != 4:
        raise ValueError(f"{op}: x must have rank 4 (N,H,W,C), got shape {xv.shape}")
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be ints, got {padding!r}")
    (pt, pb), (pl, pr) = resolve_padding(padding, (1, 1), (1, 1), op=op)
    n, h, w, c = xv.shape
    check_geometry(op, padding=((pt, pb), (pl, pr)))
    check_alloc((n, h + pt + pb, w + pl + pr, c), op, "the output")
    y = np.zeros((n, h + pt + pb, w + pl + pr, c), _F32)
    y[:, pt:pt + h, pl:pl + w, :] = xv
    out = _wrap(y)
    if _STATE.tapes:
        record(op, (x,), out, lambda dy, needs: (
            np.ascontiguousarray(dy[:, pt:pt + h, pl:pl + w, :]),))
    return out


# ---- reductions ----------------------------------------------------------------------------
def _axes(axis, ndim, op, single=False):
    """axis (None, an int or a sequence of distinct ints in [-ndim, ndim)) -> sorted axes;
    with ``single`` exactly one int is required."""
    if axis is None and not single:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes = (axis,)
    elif single or isinstance(axis, (str, bytes)):
        raise TypeError(f"{op}: axis must be an int{'' if single else ' or a tuple of ints'}, "
                        f"got {axis!r}")
    else:
        try:
            axes = tuple(axis)
        except TypeError:
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}") from None
        if any(isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer))
               for a in axes):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {ndim}")
    out = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} names the same axis twice")
    return out


def _reduce(op, x, axis, keepdims, mean):
    xv = _f32(x, op, "x")
    if axis is None and not keepdims:  # the common loss path: one flat sum
        axes = tuple(range(xv.ndim))
        y = xv.sum(dtype=np.float64)
        count = xv.size
    else:
        axes = _axes(axis, xv.ndim, op)
        y = xv.sum(axis=axes, keepdims=keepdims, dtype=np.float64)
        count = 1
        for a in axes:
            count *= xv.shape[a]
    if mean:
        if count:
            y = y / count
        else:  # the mean of nothing is NaN (as in NumPy, TensorFlow and the reference)
            y = np.full_like(y, np.nan)
    out = _wrap(np.asarray(y, _F32))
    if _STATE.tapes:
        x_shape = xv.shape
        scale = np.float32(1.0 / max(count, 1)) if mean else None

        def backward(dy, needs):
            g = dy if keepdims else np.expand_dims(dy, axes)
            if scale is not None:
                g = g * scale
            return (np.broadcast_to(g, x_shape).copy(),)
        record(op, (x,), out, backward)
    return out


def reduce_sum(x, axis=None, keepdims=False) -> Tensor:
    """Sum over `axis` (int, tuple, or None for all axes), accumulated in float64."""
    return _reduce("reduce_sum", x, axis, keepdims, False)


def reduce_mean(x, axis=None, keepdims=False) -> Tensor:
    """Mean over `axis` (int, tuple, or None for all axes), accumulated in float64."""
    return _reduce("reduce_mean", x, axis, keepdims, True)


# ---- inference steps -----------------------------------------------------------------------
# Plain functions of float32 C-contiguous arrays for a model's inference plan (keras
# Sequential and functional models called with training off and no tape recording; see
# fastconv/keras/models/_plan.py). Each is made for one input shape that the op has already
# validated on an earlier call, resolves its geometry here once, and then goes straight to the
# kernel: the same native call, so the same bits, as conv2d / max_pool2d / dense above, without
# their per-call argument handling (batch-1 inference of the lab CNN spent ~40% of its time in
# Python before these). They do not record on tapes.
#
# Steps that a native plan (_core.InferencePlan) can run carry `native_op`: (kind, integer
# arguments) of the same kernel call, to which the layer adds its weight arrays (`native`).
def conv2d_step(x_shape, w_shape, strides, padding, dilation_rate, activation):
    """(x, w, b) -> y for x of shape x_shape and w of shape w_shape (b may be None)."""
    args, _ = _conv_args(x_shape, w_shape, strides, padding, dilation_rate, activation)
    fwd = _core.conv2d_fwd

    def step(x, w, b):
        return fwd(x, w, b, *args)
    step.native_op = ("conv", args)
    return step


def _conv_args(x_shape, w_shape, strides, padding, dilation_rate, activation):
    s = normalize_pair(strides, "strides", "conv2d")
    d = normalize_pair(dilation_rate, "dilation_rate", "conv2d")
    pads = resolve_padding(padding, tuple(x_shape[1:3]), tuple(w_shape[:2]), s, d, "conv2d")
    (pt, pb), (pl, pr) = pads
    out_hw = conv_output_hw(tuple(x_shape[1:3]), tuple(w_shape[:2]), s, pads, d)
    return (s[0], s[1], pt, pb, pl, pr, d[0], d[1], _fused_relu(activation, "conv2d")), out_hw


def _pool_args(kind, in_hw, pool_size, strides, padding):
    op = kind + "_pool2d"
    p = normalize_pair(pool_size, "pool_size", op)
    s = p if strides is None else normalize_pair(strides, "strides", op)
    (pt, pb), (pl, pr) = resolve_padding(padding, tuple(in_hw), p, s, (1, 1), op)
    return (p[0], p[1], s[0], s[1], pt, pb, pl, pr)


def conv2d_maxpool_step(x_shape, w_shape, strides, padding, dilation_rate, activation,
                        pool_size, pool_strides, pool_padding):
    """(x, w, b) -> max_pool2d(conv2d(x, w, b, ...), ...) in one native call: on the
    single-channel direct path the convolution's map is never written out (the lab CNN's
    first layer and pool at batch 100: 1.31 -> 0.80-0.96 ms, 1 thread); bit-identical to the
    two steps."""
    conv, out_hw = _conv_args(x_shape, w_shape, strides, padding, dilation_rate, activation)
    args = conv + _pool_args("max", out_hw, pool_size, pool_strides, pool_padding)
    fwd = _core.conv2d_maxpool_fwd

    def step(x, w, b):
        return fwd(x, w, b, *args)
    step.native_op = ("conv_maxpool", args)
    return step


def pool2d_step(kind, x_shape, pool_size, strides, padding):
    """x -> y for kind 'max' or 'avg' pooling of x with shape x_shape."""
    args = _pool_args(kind, x_shape[1:3], pool_size, strides, padding)
    fwd = _core.maxpool2d_fwd if kind == "max" else _core.avgpool2d_fwd

    def step(x):
        return fwd(x, *args)
    step.native = (kind + "pool", (), args)
    return step


def dense_step(activation):
    """(x, w, b) -> act(x @ w + b) for 2-D x (b may be None)."""
    relu = _fused_relu(activation, "dense")
    gemm, empty = _core.gemm, np.empty

    def step(x, w, b):
        y = empty((x.shape[0], w.shape[1]), _F32)
        gemm(x, w, y, 1.0, 0.0, False, False, b, relu)
        return y
    step.native_op = ("dense", (relu,))
    return step


def bind_weights(f, kernel, bias):
    """x -> f(x, kernel, bias) for a step f(x, w, b) of a layer's Variables, reading them on
    every call; with f's native form (`native`: the Variables' own arrays, which they update in
    place) when f has one."""
    if bias is None:
        def step(x):
            return f(x, kernel._value, None)
    else:
        def step(x):
            return f(x, kernel._value, bias._value)
    op = getattr(f, "native_op", None)
    if op is not None:
        step.native = (op[0], (kernel._value, None if bias is None else bias._value), op[1])
    return step
