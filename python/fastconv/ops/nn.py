"""Activation, loss, dropout, normalisation and optimizer ops on the native kernels.

Low-level entry points mirror the float64 references (``fastconv.reference.activation``,
``loss``, ``dropout``, ``norm``, ``optim``: same names, same argument order) and return float32
NumPy arrays. User-facing functions (``relu``, ``softmax``, ``softmax_cross_entropy``,
``dropout``, ``batch_norm``, ``lrn``, ``sgd_update_``, ``adam_update_``) are thin wrappers with
Keras defaults; the ``*_update_`` ones modify the given float32 arrays in place.
"""

from __future__ import annotations

import numbers

import numpy as np

from fastconv import _core
from fastconv.ops._check import as_float32, check_flag, check_scalar

__all__ = [
    "relu_fwd", "relu_bwd", "bias_add_fwd", "bias_add_bwd", "softmax_fwd", "softmax_bwd",
    "softmax_xent_fwd", "softmax_xent_bwd", "dropout_fwd", "dropout_bwd",
    "batch_norm_fwd", "batch_norm_bwd", "lrn_fwd", "lrn_bwd", "sgd_update", "adam_update",
    "relu", "softmax", "softmax_cross_entropy", "dropout", "batch_norm", "lrn",
    "sgd_update_", "adam_update_",
]


def _same_shape(a, b, op, an, bn):
    if a.shape != b.shape:
        raise ValueError(f"{op}: {an}.shape={a.shape} does not match {bn}.shape={b.shape}")


def _channels_last(x, op, arg="x"):
    x = as_float32(x, op, arg)
    if x.ndim < 1:
        raise ValueError(f"{op}: {arg} must have a channel axis (rank >= 1), got a scalar")
    return x


def _channel_vec(v, c, op, arg, x_shape):
    v = as_float32(v, op, arg)
    if v.shape != (c,):
        raise ValueError(f"{op}: {arg}.shape={v.shape}, expected ({c},) for x.shape={x_shape}")
    return v


# ---- activations -----------------------------------------------------------------------------

def relu_fwd(x):
    """x (...) -> y (...) = max(x, 0)."""
    return _core.relu_fwd(as_float32(x, "relu_fwd", "x"))


def relu_bwd(x, dy):
    """x (...) forward input, dy (...) -> dx (...); 0 where x <= 0."""
    x, dy = as_float32(x, "relu_bwd", "x"), as_float32(dy, "relu_bwd", "dy")
    _same_shape(x, dy, "relu_bwd", "x", "dy")
    return _core.relu_bwd(x, dy)


def bias_add_fwd(x, b):
    """x (..., C), b (C,) -> y (..., C)."""
    x = _channels_last(x, "bias_add_fwd")
    return _core.bias_add_fwd(x, _channel_vec(b, x.shape[-1], "bias_add_fwd", "b", x.shape))


def bias_add_bwd(dy):
    """dy (..., C) -> db (C,); summed over every axis but the last (order fixed: thread-count
    independent)."""
    return _core.bias_add_bwd(_channels_last(dy, "bias_add_bwd", "dy"))


def softmax_fwd(logits):
    """logits (..., K) -> p (..., K), softmax over the last axis."""
    z = _channels_last(logits, "softmax_fwd", "logits")
    if z.shape[-1] == 0:
        raise ValueError(f"softmax_fwd: logits need at least one class, got shape {z.shape}")
    return _core.softmax_fwd(z)


def softmax_bwd(y, dy):
    """y (..., K) softmax output, dy (..., K) -> dlogits (..., K)."""
    y, dy = _channels_last(y, "softmax_bwd", "y"), _channels_last(dy, "softmax_bwd", "dy")
    _same_shape(y, dy, "softmax_bwd", "y", "dy")
    return _core.softmax_bwd(y, dy)


# ---- loss --------------------------------------------------------------------------------------

def softmax_xent_fwd(logits, labels):
    """logits (N,K), labels (N,) integer class ids or (N,K) one-hot / probabilities
    -> (mean loss as a Python float, dlogits (N,K) float32 = (softmax - t) / N)."""
    op = "softmax_xent_fwd"
    z = as_float32(logits, op, "logits")
    if z.ndim != 2:
        raise ValueError(f"{op}: logits must be (N,K), got shape {z.shape}")
    n, k = z.shape
    if k == 0:
        raise ValueError(f"{op}: logits need at least one class, got shape {z.shape}")
    lab = np.asarray(labels)
    if lab.ndim == 1:
        if not np.issubdtype(lab.dtype, np.integer):
            raise TypeError(f"{op}: 1-D labels must be integer class ids, got dtype {lab.dtype}")
        if lab.shape[0] != n:
            raise ValueError(f"{op}: labels.shape={lab.shape} but logits.shape={z.shape}")
        if lab.size and (lab.min() < 0 or lab.max() >= k):
            raise ValueError(
                f"{op}: class ids must be in [0, {k}), got range [{lab.min()}, {lab.max()}]")
        loss, dz = _core.softmax_xent_fwd(z, labels=np.ascontiguousarray(lab, np.int64))
    else:
        t = as_float32(lab, op, "labels")
        if t.shape != (n, k):
            raise ValueError(
                f"{op}: labels.shape={t.shape}, expected (N,)={(n,)} ids or {(n, k)} one-hot")
        loss, dz = _core.softmax_xent_fwd(z, targets=t)
    return float(loss), dz


def softmax_xent_bwd(dlogits, dloss=1.0):
    """dlogits (N,K) from softmax_xent_fwd, dloss scalar -> dlogits * dloss (float32)."""
    d = as_float32(dlogits, "softmax_xent_bwd", "dlogits")
    return d * np.float32(check_scalar(dloss, "softmax_xent_bwd", "dloss"))


# ---- dropout -----------------------------------------------------------------------------------

def _rate(rate, op):
    rate = check_scalar(rate, op, "rate")
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    return rate


def _seed(seed, op):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{op}: seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"{op}: seed must fit in uint64, got {seed}")
    return seed


def dropout_fwd(x, rate, seed, training):
    """x (...) -> (y (...) float32, mask (...) bool). Training and rate > 0: kept elements (the
    reference's counter-based generator, bit for bit) are scaled by 1 / (1 - rate); otherwise
    identity with an all-True mask."""
    op = "dropout_fwd"
    x = as_float32(x, op, "x")
    rate, seed = _rate(rate, op), _seed(seed, op)
    if not check_flag(training, op, "training") or rate == 0.0:
        return x.copy(), np.ones(x.shape, dtype=bool)
    return _core.dropout_fwd(x, rate, seed)


def dropout_bwd(dy, mask, rate):
    """dy (...), mask (...) bool, rate -> dx (...) = dy * mask / (1 - rate)."""
    op = "dropout_bwd"
    dy = as_float32(dy, op, "dy")
    mask = np.ascontiguousarray(mask, dtype=bool)
    _same_shape(dy, mask, op, "dy", "mask")
    return _core.dropout_bwd(dy, mask, _rate(rate, op))


# ---- normalisation -----------------------------------------------------------------------------

def batch_norm_fwd(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99,
                   epsilon=1e-3):
    """x (..., C), gamma/beta/moving_mean/moving_var (C,)
    -> (y, new_moving_mean, new_moving_var, save_mean, save_invstd), statistics per channel
    over all other axes (biased variance, Keras defaults momentum 0.99, epsilon 1e-3)."""
    op = "batch_norm_fwd"
    x = _channels_last(x, op)
    c = x.shape[-1]
    training = check_flag(training, op, "training")
    momentum = check_scalar(momentum, op, "momentum")
    epsilon = check_scalar(epsilon, op, "epsilon")
    if training and x.size == 0:
        raise ValueError(f"{op}: training needs at least one element per channel, x.shape={x.shape}")
    vecs = [_channel_vec(v, c, op, name, x.shape) for v, name in
            ((gamma, "gamma"), (beta, "beta"), (moving_mean, "moving_mean"),
             (moving_var, "moving_var"))]
    return _core.batch_norm_fwd(x, *vecs, training, momentum, epsilon)


def batch_norm_bwd(dy, x, gamma, save_mean, save_invstd):
    """dy (..., C), x (..., C), gamma/save_mean/save_invstd (C,) -> (dx, dgamma, dbeta),
    training mode (the batch statistics depend on x)."""
    op = "batch_norm_bwd"
    dy, x = _channels_last(dy, op, "dy"), _channels_last(x, op)
    _same_shape(dy, x, op, "dy", "x")
    if x.size == 0:
        raise ValueError(f"{op}: needs at least one element per channel, x.shape={x.shape}")
    c = x.shape[-1]
    vecs = [_channel_vec(v, c, op, name, x.shape) for v, name in
            ((gamma, "gamma"), (save_mean, "save_mean"), (save_invstd, "save_invstd"))]
    return _core.batch_norm_bwd(dy, x, *vecs)


def _lrn_args(op, depth_radius, bias, alpha, beta):
    if isinstance(depth_radius, (bool, np.bool_)) or not isinstance(depth_radius, numbers.Integral):
        raise TypeError(f"{op}: depth_radius must be an integer, got {depth_radius!r}")
    if depth_radius < 0:
        raise ValueError(f"{op}: depth_radius must be >= 0, got {depth_radius}")
    return (int(depth_radius), check_scalar(bias, op, "bias"), check_scalar(alpha, op, "alpha"),
            check_scalar(beta, op, "beta"))


def lrn_fwd(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x (..., C) -> y (..., C), tf.nn.local_response_normalization semantics."""
    op = "lrn_fwd"
    return _core.lrn_fwd(_channels_last(x, op), *_lrn_args(op, depth_radius, bias, alpha, beta))


def lrn_bwd(x, dy, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x (..., C), dy (..., C) -> dx (..., C)."""
    op = "lrn_bwd"
    x, dy = _channels_last(x, op), _channels_last(dy, op, "dy")
    _same_shape(x, dy, op, "x", "dy")
    return _core.lrn_bwd(x, dy, *_lrn_args(op, depth_radius, bias, alpha, beta))


# ---- optimizers --------------------------------------------------------------------------------

def _buffer(a, op, arg, shape=None):
    """A float32, C-contiguous, writable ndarray to update in place (never a silent copy)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{op}: {arg} must be a float32 numpy array, got {type(a).__name__}")
    if a.dtype != np.float32:
        raise TypeError(f"{op}: {arg} must be float32 to be updated in place, got {a.dtype}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{op}: {arg} must be C-contiguous to be updated in place")
    if not a.flags.writeable:
        raise ValueError(f"{op}: {arg} is read-only")
    if shape is not None and a.shape != shape:
        raise ValueError(f"{op}: {arg}.shape={a.shape} does not match param.shape={shape}")
    return a


def sgd_update_(param, grad, velocity=None, lr=0.01, momentum=0.0, nesterov=False):
    """Keras SGD step in place over float32 ``param`` (and ``velocity``, needed iff
    momentum != 0). Returns param. Bit-identical for any thread count."""
    op = "sgd_update_"
    param = _buffer(param, op, "param")
    g = as_float32(grad, op, "grad")
    _same_shape(g, param, op, "grad", "param")
    lr, momentum = check_scalar(lr, op, "lr"), check_scalar(momentum, op, "momentum")
    nesterov = check_flag(nesterov, op, "nesterov")
    if velocity is not None:
        velocity = _buffer(velocity, op, "velocity", param.shape)
    elif momentum != 0.0:
        raise ValueError(f"{op}: momentum={momentum} needs a velocity buffer")
    _core.sgd_update_(param, g, velocity, lr, momentum, nesterov)
    return param


def adam_update_(param, grad, m, v, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1):
    """Keras Adam step ``step`` (1 for the first update) in place over float32 ``param``, ``m``
    and ``v``. Returns param. Bit-identical for any thread count."""
    op = "adam_update_"
    param = _buffer(param, op, "param")
    g = as_float32(grad, op, "grad")
    _same_shape(g, param, op, "grad", "param")
    m = _buffer(m, op, "m", param.shape)
    v = _buffer(v, op, "v", param.shape)
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Integral):
        raise TypeError(f"{op}: step must be an integer, got {step!r}")
    if step < 1:
        raise ValueError(f"{op}: step must be >= 1, got {step}")
    _core.adam_update_(param, g, m, v, check_scalar(lr, op, "lr"),
                       check_scalar(beta_1, op, "beta_1"), check_scalar(beta_2, op, "beta_2"),
                       check_scalar(epsilon, op, "epsilon"), int(step))
    return param


def sgd_update(param, grad, velocity, lr, momentum=0.0, nesterov=False):
    """Reference-style SGD: returns (new_param, new_velocity) float32, arguments untouched."""
    p = as_float32(param, "sgd_update", "param").copy()
    vel = (np.zeros_like(p) if velocity is None
           else as_float32(velocity, "sgd_update", "velocity").copy())
    sgd_update_(p, grad, vel, lr, momentum, nesterov)
    return p, vel


def adam_update(param, grad, m, v, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1):
    """Reference-style Adam: returns (new_param, new_m, new_v) float32, arguments untouched."""
    p = as_float32(param, "adam_update", "param").copy()
    mm = as_float32(m, "adam_update", "m").copy()
    vv = as_float32(v, "adam_update", "v").copy()
    adam_update_(p, grad, mm, vv, lr, beta_1, beta_2, epsilon, step)
    return p, mm, vv


# ---- user-facing -------------------------------------------------------------------------------

def relu(x):
    """max(x, 0) as float32."""
    return relu_fwd(x)


def softmax(x):
    """Softmax over the last axis."""
    return softmax_fwd(x)


def softmax_cross_entropy(labels, logits):
    """Mean softmax cross-entropy of ``logits`` (N,K) against integer ``labels`` (N,) or one-hot
    (N,K), as a Python float. The gradient comes with it from ``softmax_xent_fwd``."""
    return softmax_xent_fwd(logits, labels)[0]


def dropout(x, rate, seed, training):
    """Keras Dropout: in training, zero elements with probability ``rate`` (the mask is a pure
    function of ``seed`` and the element index) and scale the rest by 1 / (1 - rate)."""
    return dropout_fwd(x, rate, seed, training)[0]


def batch_norm(x, gamma, beta, moving_mean, moving_var, training=False, momentum=0.99,
               epsilon=1e-3):
    """Keras BatchNormalization over the last axis. In training mode the batch statistics
    normalise x and ``moving_mean`` / ``moving_var`` (float32 (C,) arrays) are updated IN PLACE,
    as the layer's state; in inference mode the moving statistics are used and left alone."""
    if check_flag(training, "batch_norm", "training"):
        moving_mean = _buffer(moving_mean, "batch_norm", "moving_mean")
        moving_var = _buffer(moving_var, "batch_norm", "moving_var")
    y, new_mean, new_var, _, _ = batch_norm_fwd(x, gamma, beta, moving_mean, moving_var,
                                                training, momentum, epsilon)
    if training:
        moving_mean[...] = new_mean
        moving_var[...] = new_var
    return y


def lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """tf.nn.local_response_normalization over the last axis."""
    return lrn_fwd(x, depth_radius, bias, alpha, beta)
