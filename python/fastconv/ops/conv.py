"""2-D convolution (NHWC input, HWIO kernel) on the native implicit-im2col GEMM.

Low-level entry points with the reference's names and argument orders (explicit pads):
``conv2d_fwd``, ``conv2d_bwd_data``, ``conv2d_bwd_filter``; and the Keras-style ``conv2d``.
"""

from __future__ import annotations

import numpy as np

from fastconv import _core
from fastconv._geometry import conv_output_hw, normalize_pair, resolve_padding
from fastconv.ops._check import (as_float32, check_activation, check_alloc, check_flag,
                                 check_geometry, check_rank)

__all__ = ["conv2d", "conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter"]


def _explicit_pads(pads, op):
    if isinstance(pads, str):
        raise ValueError(f"{op}: pads must be explicit ((top, bottom), (left, right)), got {pads!r}"
                         " (conv2d resolves 'same'/'valid')")
    return resolve_padding(pads, (1, 1), (1, 1), (1, 1), (1, 1), op)


def _geometry(op, strides, pads, dilation):
    s = normalize_pair(strides, "strides", op)
    p = _explicit_pads(pads, op)
    d = normalize_pair(dilation, "dilation", op)
    check_geometry(op, strides=s, pads=p, dilation=d)
    return s, p, d


def _check_shape4(shape, op, arg):
    try:
        items = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: {arg} must be a 4-tuple of ints, got {shape!r}") from None
    if len(items) != 4:
        raise ValueError(f"{op}: {arg} must have 4 entries, got {shape!r}")
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: {arg} must contain ints, got {shape!r}")
        if v < 0:
            raise ValueError(f"{op}: {arg} must be non-negative, got {shape!r}")
        out.append(int(v))
    return tuple(out)


def _check_kernel(w, op, arg="w"):
    check_rank(w, 4, op, arg, "(KH, KW, C, F)")
    if min(w.shape) < 1:
        raise ValueError(f"{op}: {arg} must have positive sizes, got {arg}.shape={w.shape}")


def conv2d_fwd(x, w, b=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
               relu=False) -> np.ndarray:
    """x (N,H,W,C), w (KH,KW,C,F), b (F,) or None -> y (N,OH,OW,F), float32.

    Cross-correlation with explicit zero pads ((top, bottom), (left, right)); ``relu`` applies
    max(y, 0) after the bias, fused into the GEMM's store.
    """
    op = "conv2d_fwd"
    x = as_float32(x, op, "x")
    w = as_float32(w, op, "w")
    check_rank(x, 4, op, "x", "(N, H, W, C)")
    _check_kernel(w, op)
    relu = check_flag(relu, op, "relu")
    (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = _geometry(op, strides, pads, dilation)
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"{op}: x has {x.shape[3]} channels but w expects {w.shape[2]} "
                         f"(x.shape={x.shape}, w.shape={w.shape})")
    oh, ow = conv_output_hw(x.shape[1:3], w.shape[:2], (sh, sw), ((pt, pb), (pl, pr)),
                            (dh, dw), op=op, x_shape=x.shape)
    check_alloc((x.shape[0], oh, ow, w.shape[3]), op, "the output")
    bias = None
    if b is not None:
        bias = as_float32(b, op, "b")
        if bias.shape != (w.shape[3],):
            raise ValueError(f"{op}: b must have shape ({w.shape[3]},) to match "
                             f"w.shape={w.shape}, got b.shape={bias.shape}")
    return _core.conv2d_fwd(x, w, bias, sh, sw, pt, pb, pl, pr, dh, dw, relu)


def conv2d_bwd_data(dy, w, x_shape, strides=(1, 1), pads=((0, 0), (0, 0)),
                    dilation=(1, 1)) -> np.ndarray:
    """dy (N,OH,OW,F), w (KH,KW,C,F), x_shape (N,H,W,C) -> dx (N,H,W,C), float32."""
    op = "conv2d_bwd_data"
    dy = as_float32(dy, op, "dy")
    w = as_float32(w, op, "w")
    check_rank(dy, 4, op, "dy", "(N, OH, OW, F)")
    _check_kernel(w, op)
    n, h, wd, c = _check_shape4(x_shape, op, "x_shape")
    (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = _geometry(op, strides, pads, dilation)
    if c != w.shape[2]:
        raise ValueError(f"{op}: x_shape has {c} channels but w expects {w.shape[2]} "
                         f"(x_shape={(n, h, wd, c)}, w.shape={w.shape})")
    oh, ow = conv_output_hw((h, wd), w.shape[:2], (sh, sw), ((pt, pb), (pl, pr)), (dh, dw),
                            op=op, x_shape=(n, h, wd, c))
    expected = (n, oh, ow, w.shape[3])
    if dy.shape != expected:
        raise ValueError(f"{op}: dy.shape={dy.shape}, expected {expected} "
                         f"(x_shape={(n, h, wd, c)}, w.shape={w.shape})")
    check_alloc((n, h, wd, c), op, "dx")
    return _core.conv2d_bwd_data(dy, w, h, wd, sh, sw, pt, pb, pl, pr, dh, dw)


def conv2d_bwd_filter(x, dy, w_shape, strides=(1, 1), pads=((0, 0), (0, 0)),
                      dilation=(1, 1)):
    """x (N,H,W,C), dy (N,OH,OW,F), w_shape (KH,KW,C,F) -> (dw (KH,KW,C,F), db (F,)), float32."""
    op = "conv2d_bwd_filter"
    x = as_float32(x, op, "x")
    dy = as_float32(dy, op, "dy")
    check_rank(x, 4, op, "x", "(N, H, W, C)")
    check_rank(dy, 4, op, "dy", "(N, OH, OW, F)")
    kh, kw, c, f = _check_shape4(w_shape, op, "w_shape")
    if min(kh, kw, c, f) < 1:
        raise ValueError(f"{op}: w_shape must have positive sizes, got {(kh, kw, c, f)}")
    (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = _geometry(op, strides, pads, dilation)
    if x.shape[3] != c:
        raise ValueError(f"{op}: x has {x.shape[3]} channels but w_shape expects {c} "
                         f"(x.shape={x.shape}, w_shape={(kh, kw, c, f)})")
    oh, ow = conv_output_hw(x.shape[1:3], (kh, kw), (sh, sw), ((pt, pb), (pl, pr)), (dh, dw),
                            op=op, x_shape=x.shape)
    expected = (x.shape[0], oh, ow, f)
    if dy.shape != expected:
        raise ValueError(f"{op}: dy.shape={dy.shape}, expected {expected} "
                         f"(x.shape={x.shape}, w_shape={(kh, kw, c, f)})")
    check_alloc((kh, kw, c, f), op, "dw")
    return _core.conv2d_bwd_filter(x, dy, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw)


def conv2d(x, w, b=None, strides=1, padding="valid", dilation_rate=1,
           activation=None) -> np.ndarray:
    """Keras Conv2D forward: x (N,H,W,C), w (KH,KW,C,F), b (F,) or None -> y (N,OH,OW,F).

    padding: 'valid' / 'same' (any case, TensorFlow's rule) or explicit ((t, b), (l, r));
    strides / dilation_rate: int or pair; activation: None, 'linear' or 'relu'.
    """
    op = "conv2d"
    act = check_activation(activation, op)
    x = as_float32(x, op, "x")
    w = as_float32(w, op, "kernel")
    check_rank(x, 4, op, "x", "(N, H, W, C)")
    _check_kernel(w, op, "kernel")
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"{op}: x has {x.shape[3]} channels but kernel expects {w.shape[2]} "
                         f"(x.shape={x.shape}, kernel.shape={w.shape})")
    s = normalize_pair(strides, "strides", op)
    d = normalize_pair(dilation_rate, "dilation_rate", op)
    pads = resolve_padding(padding, x.shape[1:3], w.shape[:2], s, d, op)
    check_geometry(op, strides=s, padding=pads, dilation_rate=d)
    oh, ow = conv_output_hw(x.shape[1:3], w.shape[:2], s, pads, d, op=op, x_shape=x.shape,
                            padding=padding)
    check_alloc((x.shape[0], oh, ow, w.shape[3]), op, "the output")
    return conv2d_fwd(x, w, b, s, pads, d, relu=act == "relu")
