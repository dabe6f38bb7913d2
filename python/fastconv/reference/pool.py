"""float64 reference for 2-D pooling (NHWC).

Windows are clipped to the real input: padding cells never take part, neither
in the max (so they can never win) nor in the average's divisor. That is
TensorFlow's 'SAME' behaviour. Every window must contain at least one real
cell; explicit pads that create an all-padding window are rejected.
"""

import numpy as np

from .._geometry import normalize_pair, pool_output_hw, resolve_padding
from ._util import f64, pads_of

__all__ = [
    "maxpool2d_fwd", "maxpool2d_bwd", "avgpool2d_fwd", "avgpool2d_bwd",
    "global_avgpool2d_fwd", "global_avgpool2d_bwd",
    "global_maxpool2d_fwd", "global_maxpool2d_bwd",
    "max_pool2d", "avg_pool2d",
]


def _windows(x_shape, pool, strides, pads, op):
    """Yield (oh, ow, rows, cols) with the real-cell slices of each window."""
    _, h, w, _ = x_shape
    ph, pw = normalize_pair(pool, "pool_size", op)
    sh, sw = normalize_pair(strides, "strides", op)
    (pt, pb), (pl, pr) = pads = pads_of(pads, op)
    oh_n, ow_n = pool_output_hw((h, w), (ph, pw), (sh, sw), pads, op=op, x_shape=x_shape)
    out = []
    for oh in range(oh_n):
        r0 = oh * sh - pt
        rows = slice(max(r0, 0), min(r0 + ph, h))
        for ow in range(ow_n):
            c0 = ow * sw - pl
            cols = slice(max(c0, 0), min(c0 + pw, w))
            if rows.start >= rows.stop or cols.start >= cols.stop:
                raise ValueError(
                    f"{op}: output ({oh},{ow}) has a window made only of padding "
                    f"(x.shape={tuple(x_shape)}, pool={pool}, strides={strides}, pads={pads})")
            out.append((oh, ow, rows, cols))
    return (oh_n, ow_n), out


def maxpool2d_fwd(x, pool, strides, pads):
    """x (N,H,W,C) -> y (N,OH,OW,C); max over the real cells of each window."""
    x = f64(x)
    n, _, _, c = x.shape
    (oh_n, ow_n), wins = _windows(x.shape, pool, strides, pads, "maxpool2d_fwd")
    y = np.empty((n, oh_n, ow_n, c), dtype=np.float64)
    for oh, ow, rows, cols in wins:
        y[:, oh, ow, :] = x[:, rows, cols, :].max(axis=(1, 2))
    return y


def maxpool2d_bwd(x, dy, pool, strides, pads):
    """x (N,H,W,C), dy (N,OH,OW,C) -> dx (N,H,W,C).

    Each window's gradient goes to its arg-max; on ties the first cell in
    row-major window order wins. Overlapping windows accumulate.
    """
    x, dy = f64(x), f64(dy)
    n, _, _, c = x.shape
    (oh_n, ow_n), wins = _windows(x.shape, pool, strides, pads, "maxpool2d_bwd")
    if dy.shape != (n, oh_n, ow_n, c):
        raise ValueError(f"maxpool2d_bwd: dy.shape={dy.shape}, expected {(n, oh_n, ow_n, c)}")
    dx = np.zeros_like(x)
    ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for oh, ow, rows, cols in wins:
        win = x[:, rows, cols, :]
        rh, rw = win.shape[1], win.shape[2]
        # np.argmax returns the first occurrence, which is the tie rule we want
        k = np.argmax(win.reshape(n, rh * rw, c), axis=1)  # (N,C)
        r, q = rows.start + k // rw, cols.start + k % rw
        np.add.at(dx, (ni, r, q, ci), dy[:, oh, ow, :])
    return dx


def avgpool2d_fwd(x, pool, strides, pads):
    """x (N,H,W,C) -> y (N,OH,OW,C); mean over the real (non-padding) cells."""
    x = f64(x)
    n, _, _, c = x.shape
    (oh_n, ow_n), wins = _windows(x.shape, pool, strides, pads, "avgpool2d_fwd")
    y = np.empty((n, oh_n, ow_n, c), dtype=np.float64)
    for oh, ow, rows, cols in wins:
        y[:, oh, ow, :] = x[:, rows, cols, :].mean(axis=(1, 2))
    return y


def avgpool2d_bwd(dy, x_shape, pool, strides, pads):
    """dy (N,OH,OW,C), x_shape (N,H,W,C) -> dx (N,H,W,C)."""
    dy = f64(dy)
    x_shape = tuple(int(s) for s in x_shape)
    (oh_n, ow_n), wins = _windows(x_shape, pool, strides, pads, "avgpool2d_bwd")
    n, _, _, c = x_shape
    if dy.shape != (n, oh_n, ow_n, c):
        raise ValueError(f"avgpool2d_bwd: dy.shape={dy.shape}, expected {(n, oh_n, ow_n, c)}")
    dx = np.zeros(x_shape, dtype=np.float64)
    for oh, ow, rows, cols in wins:
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        dx[:, rows, cols, :] += (dy[:, oh, ow, :] / count)[:, None, None, :]
    return dx


def global_avgpool2d_fwd(x):
    """x (N,H,W,C) -> y (N,C)."""
    return f64(x).mean(axis=(1, 2))


def global_avgpool2d_bwd(dy, x_shape):
    """dy (N,C), x_shape (N,H,W,C) -> dx (N,H,W,C)."""
    n, h, w, c = x_shape
    dy = f64(dy)
    return np.broadcast_to((dy / (h * w))[:, None, None, :], (n, h, w, c)).copy()


def global_maxpool2d_fwd(x):
    """x (N,H,W,C) -> y (N,C)."""
    return f64(x).max(axis=(1, 2))


def global_maxpool2d_bwd(x, dy):
    """x (N,H,W,C), dy (N,C) -> dx (N,H,W,C); the first max in row-major (h, w) order wins."""
    x, dy = f64(x), f64(dy)
    n, h, w, c = x.shape
    k = np.argmax(x.reshape(n, h * w, c), axis=1)  # (N,C), first occurrence
    dx = np.zeros((n, h * w, c), dtype=np.float64)
    ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    dx[ni, k, ci] = dy
    return dx.reshape(n, h, w, c)


def _user_pool(fwd, op, x, pool_size, strides, padding):
    x = f64(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected x (N,H,W,C), got x.shape={x.shape}")
    p = normalize_pair(pool_size, "pool_size", op)
    s = p if strides is None else normalize_pair(strides, "strides", op)
    pads = resolve_padding(padding, x.shape[1:3], p, s, (1, 1), op)
    pool_output_hw(x.shape[1:3], p, s, pads, op=op, x_shape=x.shape, padding=padding)
    return fwd(x, p, s, pads)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """x (N,H,W,C) -> y (N,OH,OW,C). Keras MaxPooling2D: strides default to pool_size."""
    return _user_pool(maxpool2d_fwd, "max_pool2d", x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """x (N,H,W,C) -> y (N,OH,OW,C). Keras AveragePooling2D: strides default to pool_size."""
    return _user_pool(avgpool2d_fwd, "avg_pool2d", x, pool_size, strides, padding)
